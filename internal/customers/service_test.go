package customers_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/customers"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// t0 is the fixed clock of every test.
var t0 = time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)

func fixedClock() time.Time { return t0 }

func ptr[T any](v T) *T { return &v }

// upsert runs UpsertTx in a transaction of its own, like an order would.
func upsert(t *testing.T, db *store.DB, svc *customers.Service, in customers.Input, a customers.Address, at time.Time) customers.Customer {
	t.Helper()
	var c customers.Customer
	err := db.InTx(context.Background(), func(tx *sql.Tx) error {
		var err error
		c, err = svc.UpsertTx(context.Background(), tx, in, a, at)
		return err
	})
	if err != nil {
		t.Fatalf("UpsertTx(%+v): %v", in, err)
	}
	return c
}

var paulista = customers.Address{Name: "Ana Souza", Line1: "Av. Paulista, 1578", City: "São Paulo", Region: "SP", PostalCode: "01310200", Country: "Brasil"}

func TestUpsertCreatesThenMatchesCaseInsensitively(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := customers.NewService(db, fixedClock)
		first := t0.Add(-48 * time.Hour)
		c := upsert(t, db, svc, customers.Input{Email: " Ana@Example.com ", Name: "Ana", Locale: "pt_BR"}, paulista, first)
		want := customers.Customer{ID: c.ID, Email: "Ana@Example.com", Name: "Ana", Locale: "pt-BR", OrdersCount: 1,
			FirstOrderAt: ptr(first), LastOrderAt: ptr(first), CreatedAt: t0, UpdatedAt: t0}
		if diff := cmp.Diff(want, c); diff != "" {
			t.Fatalf("new customer (-want +got):\n%s", diff)
		}

		// Same person, other case; the same address spelt differently; a
		// new name and phone; no locale (keeps pt-BR).
		second := t0.Add(-time.Hour)
		sloppy := customers.Address{Name: "ANA SOUZA", Line1: "av paulista 1578", City: "São Paulo", Region: "SP", PostalCode: "01310-200", Country: "BR"}
		c2 := upsert(t, db, svc, customers.Input{Email: "ana@example.COM", Name: "Ana Souza", Phone: "+55 11 99999-0000"}, sloppy, second)
		if c2.ID != c.ID {
			t.Fatalf("ana@example.COM made customer %d, want the existing %d", c2.ID, c.ID)
		}
		want.Name, want.Phone, want.OrdersCount, want.LastOrderAt = "Ana Souza", "+55 11 99999-0000", 2, ptr(second)
		if diff := cmp.Diff(want, c2); diff != "" {
			t.Fatalf("matched customer (-want +got):\n%s", diff)
		}

		got, err := svc.ByEmail(ctx, "ANA@EXAMPLE.COM")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != c.ID || len(got.Addresses) != 1 {
			t.Fatalf("ByEmail = customer %d with %d addresses, want %d with 1 (the same address twice)", got.ID, len(got.Addresses), c.ID)
		}
		sa := got.Addresses[0]
		wantAddr := customers.Address{Name: "ANA SOUZA", Line1: "av paulista 1578", City: "São Paulo", Region: "SP", PostalCode: "01310-200", Country: "BR"}
		if diff := cmp.Diff(wantAddr, sa.Address); diff != "" {
			t.Errorf("saved address takes the newest spelling (-want +got):\n%s", diff)
		}
		if !sa.LastUsedAt.Equal(second) {
			t.Errorf("last_used_at = %v, want %v", sa.LastUsedAt, second)
		}

		byID, err := svc.Get(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(got, byID); diff != "" {
			t.Errorf("Get and ByEmail differ (-ByEmail +Get):\n%s", diff)
		}
	})
}

func TestUpsertAddressesAndOrderDates(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := customers.NewService(db, fixedClock)
		in := customers.Input{Email: "giulia@example.it", Name: "Giulia", Phone: "111", Locale: "it-IT"}
		roma := customers.Address{Name: "Giulia Rossi", Line1: "Piazza del Colosseo, 1", City: "Roma", PostalCode: "00184", Country: "Italia"}
		milano := customers.Address{Name: "Giulia Rossi", Line1: "Piazza del Duomo", City: "Milano", PostalCode: "20122", Country: "IT"}
		d := func(day int) time.Time { return time.Date(2026, 1, day, 12, 0, 0, 0, time.UTC) }

		upsert(t, db, svc, in, roma, d(10))
		upsert(t, db, svc, in, milano, d(20))
		// An old order imported late: it counts, moves first_order_at back,
		// but does not overwrite newer details or move last_used_at back.
		old := upsert(t, db, svc, customers.Input{Email: "GIULIA@example.it", Name: "G. Rossi (old)", Phone: "000", Locale: "en"}, roma, d(1))
		// An order with no address and no locale.
		upsert(t, db, svc, customers.Input{Email: "giulia@example.it"}, customers.Address{}, d(15))

		c, err := svc.Get(ctx, old.ID)
		if err != nil {
			t.Fatal(err)
		}
		if c.OrdersCount != 4 || !c.FirstOrderAt.Equal(d(1)) || !c.LastOrderAt.Equal(d(20)) {
			t.Errorf("orders %d from %v to %v; want 4 from %v to %v", c.OrdersCount, c.FirstOrderAt, c.LastOrderAt, d(1), d(20))
		}
		if c.Name != "Giulia" || c.Phone != "111" || c.Locale != "it" {
			t.Errorf("details %q %q %q: an older order overwrote newer ones", c.Name, c.Phone, c.Locale)
		}
		var cities []string
		for _, a := range c.Addresses {
			cities = append(cities, fmt.Sprintf("%s %s", a.Address.City, a.LastUsedAt.Format("01-02")))
		}
		if diff := cmp.Diff([]string{"Milano 01-20", "Roma 01-10"}, cities); diff != "" {
			t.Errorf("addresses, most recent first (-want +got):\n%s", diff)
		}
	})
}

func TestUpsertLocales(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		svc := customers.NewService(db, fixedClock)
		tests := []struct{ in, want string }{
			{"", "en"}, {"en", "en"}, {"en-US", "en"}, {"en_GB", "en"},
			{"pt-BR", "pt-BR"}, {"pt_BR", "pt-BR"}, {"pt-br", "pt-BR"}, {"PT_br.UTF-8", "pt-BR"}, {"pt", "pt-BR"}, {"pt-PT", "pt-BR"},
			{"it", "it"}, {"it-IT", "it"}, {"it_CH", "it"}, {"IT", "it"},
			{"fr-FR", "en"}, {"de", "en"}, {"klingon", "en"},
		}
		for i, tt := range tests {
			c := upsert(t, db, svc, customers.Input{Email: fmt.Sprintf("l%d@example.com", i), Locale: tt.in}, customers.Address{}, t0)
			if c.Locale != tt.want {
				t.Errorf("locale %q stored as %q, want %q", tt.in, c.Locale, tt.want)
			}
			if got := customers.NormalizeLocale(tt.in); got != tt.want {
				t.Errorf("NormalizeLocale(%q) = %q, want %q", tt.in, got, tt.want)
			}
		}
		// An unknown locale on a later order leaves a known one alone.
		upsert(t, db, svc, customers.Input{Email: "l4@example.com", Locale: "fr"}, customers.Address{}, t0.Add(time.Hour))
		c, err := svc.ByEmail(context.Background(), "l4@example.com")
		if err != nil || c.Locale != "pt-BR" {
			t.Errorf("after an order in fr: %v, %v; want locale pt-BR kept", c, err)
		}
	})
}

func TestUpsertRefusesBadEmail(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		svc := customers.NewService(db, fixedClock)
		for _, email := range []string{"", "  ", "ana", "ana@", "@example.com", "ana@example", "ana@@example.com", "Ana <ana@example.com>",
			"<ana@example.com>", "ana@example.com, bia@example.com", "ana @example.com", "ana@.example.com", "ana@example..com", "ana@example.com."} {
			err := db.InTx(context.Background(), func(tx *sql.Tx) error {
				_, err := svc.UpsertTx(context.Background(), tx, customers.Input{Email: email}, paulista, t0)
				return err
			})
			var ae *apperr.Error
			if !errors.As(err, &ae) || ae.Code != apperr.Invalid || len(ae.Fields) != 1 || ae.Fields[0].Field != "customer.email" {
				t.Errorf("email %q: %v, want Invalid on customer.email", email, err)
			}
		}
		list, _, err := svc.List(context.Background(), customers.ListFilter{})
		if err != nil || len(list) != 0 {
			t.Errorf("after refused emails: %d customers, %v; want none", len(list), err)
		}
		for _, email := range []string{"ana@example.com", "ana.souza+loja@example.com.br", "o'brien@example.co.uk", "josé@exämple.pt"} {
			upsert(t, db, svc, customers.Input{Email: email}, customers.Address{}, t0)
		}
	})
}

// Sixteen orders by one new customer, each in its own transaction, all at
// once: one customer, sixteen orders, one address, and no error.
func TestUpsertConcurrentNewCustomer(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := customers.NewService(db, fixedClock)
		const n = 16
		var wg sync.WaitGroup
		errs := make([]error, n)
		ids := make([]int64, n)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				// A plain transaction, not InTx: a retry would hide a failure.
				tx, err := db.W.BeginTx(ctx, nil)
				if err != nil {
					errs[i] = err
					return
				}
				email := []string{"Rush@Example.com", "rush@example.COM"}[i%2]
				c, err := svc.UpsertTx(ctx, tx, customers.Input{Email: email, Name: fmt.Sprintf("Rush %d", i)}, paulista, t0.Add(time.Duration(i)*time.Second))
				if err != nil {
					tx.Rollback()
					errs[i] = err
					return
				}
				ids[i] = c.ID
				errs[i] = tx.Commit()
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("order %d: %v", i, err)
			}
		}
		for i := range ids {
			if ids[i] != ids[0] {
				t.Fatalf("orders went to customers %v, want one", ids)
			}
		}
		c, err := svc.ByEmail(ctx, "RUSH@example.com")
		if err != nil {
			t.Fatal(err)
		}
		if c.OrdersCount != n || len(c.Addresses) != 1 {
			t.Errorf("orders_count %d with %d addresses, want %d with 1", c.OrdersCount, len(c.Addresses), n)
		}
		if !c.FirstOrderAt.Equal(t0) || !c.LastOrderAt.Equal(t0.Add((n-1)*time.Second)) {
			t.Errorf("orders from %v to %v, want %v to %v", c.FirstOrderAt, c.LastOrderAt, t0, t0.Add((n-1)*time.Second))
		}
		if c.Name != fmt.Sprintf("Rush %d", n-1) {
			t.Errorf("name %q, want the latest order's (Rush %d)", c.Name, n-1)
		}
		list, _, err := svc.List(ctx, customers.ListFilter{})
		if err != nil || len(list) != 1 {
			t.Errorf("List: %d customers, %v; want 1", len(list), err)
		}
	})
}

func TestListSearchAndPages(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := customers.NewService(db, fixedClock)
		people := []customers.Input{
			{Email: "ana@example.com", Name: "Ana Souza"},
			{Email: "Bia@Loja.com.br", Name: "Beatriz Ângelo"},
			{Email: "carlo@example.it", Name: "Carlo Bianchi"},
			{Email: "dan_100%@example.com", Name: "Dan"},
			{Email: "ELISA@EXAMPLE.IT", Name: "ÉLISA Ferri"},
		}
		for _, p := range people {
			upsert(t, db, svc, p, customers.Address{}, t0)
		}
		search := func(q string) []string {
			t.Helper()
			list, more, err := svc.List(ctx, customers.ListFilter{Q: q})
			if err != nil || more {
				t.Fatalf("List(%q): more=%v, %v", q, more, err)
			}
			out := []string{}
			for _, c := range list {
				out = append(out, c.Email)
			}
			return out
		}
		tests := []struct {
			q    string
			want []string
		}{
			{"", []string{"ana@example.com", "Bia@Loja.com.br", "carlo@example.it", "dan_100%@example.com", "ELISA@EXAMPLE.IT"}},
			{"ANA", []string{"ana@example.com"}},                             // email prefix, any case
			{"example.it", []string{"carlo@example.it", "ELISA@EXAMPLE.IT"}}, // email substring
			{"bianchi", []string{"carlo@example.it"}},                        // name substring
			{"ângelo", []string{"Bia@Loja.com.br"}},                          // non-ASCII, other case
			{"élisa", []string{"ELISA@EXAMPLE.IT"}},                          // non-ASCII upper case in the data
			{"bia", []string{"Bia@Loja.com.br", "carlo@example.it"}},         // email of one, name (Bianchi) of the other
			{"100%", []string{"dan_100%@example.com"}},                       // LIKE wildcards are literal
			{"n_1", []string{"dan_100%@example.com"}},
			{"nobody", []string{}},
		}
		for _, tt := range tests {
			if diff := cmp.Diff(tt.want, search(tt.q)); diff != "" {
				t.Errorf("search %q (-want +got):\n%s", tt.q, diff)
			}
		}

		// Keyset pages of two.
		var seen []string
		var after int64
		for page := 0; ; page++ {
			list, more, err := svc.List(ctx, customers.ListFilter{After: after, Limit: 2})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range list {
				seen = append(seen, c.Email)
				after = c.ID
			}
			if wantMore := page < 2; more != wantMore {
				t.Fatalf("page %d: more = %v, want %v", page, more, wantMore)
			}
			if !more {
				break
			}
		}
		if diff := cmp.Diff(search(""), seen); diff != "" {
			t.Errorf("pages (-all +paged):\n%s", diff)
		}
	})
}

func TestListLimit(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		svc := customers.NewService(db, fixedClock)
		err := db.InTx(context.Background(), func(tx *sql.Tx) error {
			for i := range 205 {
				if _, err := svc.UpsertTx(context.Background(), tx, customers.Input{Email: fmt.Sprintf("c%03d@example.com", i)}, customers.Address{}, t0); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct{ limit, want int }{{0, 50}, {1, 1}, {200, 200}, {1000, 200}} {
			list, more, err := svc.List(context.Background(), customers.ListFilter{Limit: tt.limit})
			if err != nil || len(list) != tt.want || !more {
				t.Errorf("limit %d: %d customers, more=%v, %v; want %d and more", tt.limit, len(list), more, err, tt.want)
			}
		}
	})
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		svc := customers.NewService(db, fixedClock)
		if _, err := svc.Get(context.Background(), 42); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("Get(42) = %v, want NotFound", err)
		}
		if _, err := svc.ByEmail(context.Background(), "nobody@example.com"); !apperr.Is(err, apperr.NotFound) {
			t.Errorf("ByEmail = %v, want NotFound", err)
		}
	})
}
