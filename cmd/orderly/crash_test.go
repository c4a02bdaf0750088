package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// TestCrashMidLoad kills the server (SIGKILL) while several clients are
// placing orders, restarts it on the same database and checks that nothing
// acknowledged was lost and nothing is half-written: every order the client
// got 201 for exists with all its lines as sent; every order in the database
// is one the client sent, with exactly the lines sent; and the stock
// reservations add up (see stockInvariants).
func TestCrashMidLoad(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			t.Parallel()
			crashMidLoad(t, e)
		})
	}
}

func crashMidLoad(t *testing.T, e store.Engine) {
	bin := orderlyBinary(t)
	dsn := storetest.DSN(t, e)
	// 20 SKUs with 12 units on their first offer (some less a buffer of
	// 5, some with a second offer of 5): the load runs some SKUs dry, so
	// orders are also refused and lines split over two offers.
	cat := seedStore(t, dsn, 20, 12)
	token := cliToken(t, bin, dsn)
	srv := startServe(t, bin, dsn)
	base := srv.baseURL(t)

	const (
		workers  = 8
		killAt   = 40  // acknowledged orders before the kill
		maxSends = 200 // per worker: the load stops by itself if the kill never comes
	)
	var (
		mu      sync.Mutex
		sent    = map[string][]sentLine{} // by external id: every order sent, answered or not
		acked   = map[int64]string{}      // order number -> external id, for every 201
		refused int
		nAcked  atomic.Int64
		killed  atomic.Bool
		lost    atomic.Int64 // requests that got no answer (in flight at the kill)
	)
	kill := func() {
		if killed.CompareAndSwap(false, true) {
			if err := srv.cmd.Process.Kill(); err != nil {
				t.Errorf("SIGKILL: %v", err)
			}
		}
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	defer client.CloseIdleConnections()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 42))
			for i := 0; i < maxSends; i++ {
				ext := fmt.Sprintf("crash-%d-%d", w, i)
				var lines []sentLine
				for _, k := range rng.Perm(len(cat.SKUs))[:1+rng.IntN(3)] {
					lines = append(lines, sentLine{SKU: cat.SKUs[k].SKU, Quantity: 1 + rng.IntN(2)})
				}
				mu.Lock()
				sent[ext] = lines
				mu.Unlock()
				status, body, err := postOrder(context.Background(), client, base, token,
					orderBody(ext, fmt.Sprintf("c%d@example.com", rng.IntN(30)), lines))
				if err != nil {
					if !killed.Load() {
						t.Errorf("POST before the kill: %v", err)
					}
					lost.Add(1)
					return
				}
				switch status {
				case http.StatusCreated:
					var o placed
					if err := json.Unmarshal(body, &o); err != nil || o.Number == 0 {
						t.Errorf("201 without an order: %v %s", err, body)
						return
					}
					mu.Lock()
					acked[o.Number] = ext
					mu.Unlock()
					if nAcked.Add(1) == killAt {
						kill()
					}
				case http.StatusConflict:
					mu.Lock()
					refused++
					mu.Unlock()
				default:
					t.Errorf("POST %s: %d %s", ext, status, body)
					return
				}
			}
		})
	}
	wg.Wait()
	kill() // in case the load ended first
	waitDone(t, srv)
	if t.Failed() {
		return
	}
	t.Logf("%d orders sent, %d acknowledged, %d refused, %d without an answer at the kill", len(sent), len(acked), refused, lost.Load())
	if len(acked) < killAt {
		t.Fatalf("only %d orders acknowledged before the load ended, want at least %d", len(acked), killAt)
	}

	// Restart on the same database: it must come up, and serve every
	// acknowledged order whole.
	srv2 := startServe(t, bin, dsn)
	base2 := srv2.baseURL(t)
	if status, body := httpGet(t, base2+"/readyz"); status != http.StatusOK {
		t.Fatalf("/readyz after restart = %d %s", status, body)
	}
	for number, ext := range acked {
		status, o := getOrder(t, client, base2, token, number)
		if status != http.StatusOK {
			t.Errorf("acknowledged order %d (%s): GET = %d after the crash", number, ext, status)
			continue
		}
		if o.ExternalID != ext || !sameLines(o, sent[ext]) {
			t.Errorf("acknowledged order %d: external id %q lines %+v, want %q with %+v", number, o.ExternalID, o.Lines, ext, sent[ext])
		}
	}

	// Every order in the database was sent, with exactly the lines sent
	// (including any that committed just before the kill without their
	// answer reaching the client).
	db, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.R.Query(`SELECT o.id, COALESCE(o.external_id, ''), l.sku, l.quantity, l.qty_reserved
		FROM orders o JOIN order_lines l ON l.order_id = o.id ORDER BY o.id, l.position`)
	if err != nil {
		t.Fatal(err)
	}
	inDB := map[int64]*placed{}
	for rows.Next() {
		var n int64
		var ext, sku string
		var qty, reserved int
		if err := rows.Scan(&n, &ext, &sku, &qty, &reserved); err != nil {
			t.Fatal(err)
		}
		o := inDB[n]
		if o == nil {
			o = &placed{Number: n, ExternalID: ext}
			inDB[n] = o
		}
		o.Lines = append(o.Lines, placedLine{SKU: sku, Quantity: qty, Reserved: reserved})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for n, o := range inDB {
		want, ok := sent[o.ExternalID]
		if !ok {
			t.Errorf("order %d has external id %q, which was never sent", n, o.ExternalID)
			continue
		}
		if !sameLines(*o, want) {
			t.Errorf("order %d (%s) has lines %+v, sent %+v", n, o.ExternalID, o.Lines, want)
		}
		for _, l := range o.Lines {
			if l.Reserved != l.Quantity {
				t.Errorf("order %d line %s: %d of %d units reserved (refuse policy: all or nothing)", n, l.SKU, l.Reserved, l.Quantity)
			}
		}
	}
	if len(inDB) < len(acked) {
		t.Errorf("%d orders in the database, fewer than the %d acknowledged", len(inDB), len(acked))
	}
	stockInvariants(t, db)
}

func sameLines(o placed, want []sentLine) bool {
	got := make([]sentLine, len(o.Lines))
	for i, l := range o.Lines {
		got[i] = sentLine{SKU: l.SKU, Quantity: l.Quantity}
	}
	return slices.Equal(got, want)
}
