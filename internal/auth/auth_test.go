package auth_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// clock is a fixed clock that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

var sys = auth.WithPrincipal(context.Background(), auth.System("test"))

func as(p *auth.Principal) context.Context {
	return auth.WithClientIP(auth.WithPrincipal(context.Background(), p), "192.0.2.1")
}

func mustUser(t *testing.T, svc *auth.Service, email string, role auth.Role, supplierID int64) *auth.User {
	t.Helper()
	u, err := svc.CreateUser(sys, auth.NewUser{Email: email, Name: "User " + email, Role: role, SupplierID: supplierID, Password: "correct horse battery"})
	if err != nil {
		t.Fatalf("create %s: %v", email, err)
	}
	return u
}

func wantCode(t *testing.T, err error, code apperr.Code) {
	t.Helper()
	if !apperr.Is(err, code) {
		t.Fatalf("got error %v, want code %s", err, code)
	}
}

func insertSupplier(t *testing.T, db *store.DB, name string) int64 {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	var id int64
	err := db.W.QueryRow(`INSERT INTO suppliers (name, timezone, country, status, created_at, updated_at) VALUES ($1, 'Europe/Lisbon', 'PT', 'active', $2, $2) RETURNING id`,
		name, now).Scan(&id)
	if err != nil {
		t.Fatalf("insert supplier: %v", err)
	}
	return id
}

func TestPasswordHashing(t *testing.T) {
	t.Parallel()
	h, err := auth.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q is not a PHC argon2id string", h)
	}
	h2, _ := auth.HashPassword("correct horse battery")
	if h == h2 {
		t.Fatal("two hashes of one password are equal: salt missing")
	}
	for _, tc := range []struct {
		pw   string
		want bool
	}{{"correct horse battery", true}, {"correct horse batterY", false}, {"", false}} {
		ok, err := auth.VerifyPassword(tc.pw, h)
		if err != nil || ok != tc.want {
			t.Errorf("VerifyPassword(%q) = %v, %v; want %v", tc.pw, ok, err, tc.want)
		}
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=x$AAAA$AAAA", "$argon2id$v=19$m=19456,t=2,p=1$!!$AAAA"} {
		if _, err := auth.VerifyPassword("x", bad); err == nil {
			t.Errorf("VerifyPassword accepted malformed hash %q", bad)
		}
	}
}

func TestPasswordPolicy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pw, email string
		ok        bool
	}{
		{"short", "a@example.com", false},
		{"123456789", "a@example.com", false},
		{"1234567890", "a@example.com", true},
		{"ana@example.com", "ana@example.com", false},
		{"ANA@Example.com", "ana@example.com", false},
		{strings.Repeat("x", 1025), "a@example.com", false},
	} {
		err := auth.CheckPassword(tc.pw, tc.email)
		if (err == nil) != tc.ok {
			t.Errorf("CheckPassword(%q, %q) = %v, want ok=%v", tc.pw, tc.email, err, tc.ok)
		}
	}
}

func TestUsers(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := auth.NewService(db, newClock().Now)
		u := mustUser(t, svc, " Ana@Example.com ", auth.Operations, 0)
		if u.Email != "ana@example.com" || u.Role != auth.Operations || u.Disabled {
			t.Fatalf("created %+v", u)
		}
		_, err := svc.CreateUser(sys, auth.NewUser{Email: "ANA@example.COM", Name: "Twin", Role: auth.Support, Password: "another password"})
		wantCode(t, err, apperr.Conflict)

		// Input errors name their fields.
		_, err = svc.CreateUser(sys, auth.NewUser{Email: "nope", Role: "boss", Password: "short"})
		var ae *apperr.Error
		wantCode(t, err, apperr.Invalid)
		if errors.As(err, &ae); len(ae.Fields) != 4 {
			t.Fatalf("fields %+v, want email, name, role, password", ae.Fields)
		}
		_, err = svc.CreateUser(sys, auth.NewUser{Email: "s@example.com", Name: "S", Role: auth.Supplier, Password: "correct horse battery"})
		wantCode(t, err, apperr.Invalid)
		_, err = svc.CreateUser(sys, auth.NewUser{Email: "s@example.com", Name: "S", Role: auth.Supplier, SupplierID: 999, Password: "correct horse battery"})
		wantCode(t, err, apperr.Invalid)

		sid := insertSupplier(t, db, "Lisbon Ceramics")
		su := mustUser(t, svc, "s@example.com", auth.Supplier, sid)
		p := su.Principal()
		if p.Kind != auth.KindSupplier || p.SupplierID != sid || !p.Can(auth.SupplierPortal) || p.Can(auth.CatalogRead) {
			t.Fatalf("supplier principal %+v", p)
		}
		// A supplier user cannot become staff.
		ops := auth.Operations
		_, err = svc.UpdateUser(sys, su.ID, auth.UserUpdate{Role: &ops})
		wantCode(t, err, apperr.Invalid)

		got, err := svc.GetUser(ctx, u.ID)
		if err != nil || got.Email != u.Email {
			t.Fatalf("GetUser = %+v, %v", got, err)
		}
		_, err = svc.GetUser(ctx, 12345)
		wantCode(t, err, apperr.NotFound)

		list, err := svc.ListUsers(ctx, auth.UserFilter{Limit: 1})
		if err != nil || len(list) != 1 || list[0].ID != u.ID {
			t.Fatalf("ListUsers page 1 = %+v, %v", list, err)
		}
		list, err = svc.ListUsers(ctx, auth.UserFilter{AfterID: u.ID})
		if err != nil || len(list) != 1 || list[0].ID != su.ID {
			t.Fatalf("ListUsers page 2 = %+v, %v", list, err)
		}
		list, _ = svc.ListUsers(ctx, auth.UserFilter{SupplierID: sid})
		if len(list) != 1 || list[0].ID != su.ID {
			t.Fatalf("ListUsers by supplier = %+v", list)
		}

		// A non-manager cannot create users; nobody anonymous can.
		_, err = svc.CreateUser(as(u.Principal()), auth.NewUser{Email: "x@example.com", Name: "X", Role: auth.Support, Password: "correct horse battery"})
		wantCode(t, err, apperr.Forbidden)
		_, err = svc.CreateUser(context.Background(), auth.NewUser{Email: "x@example.com", Name: "X", Role: auth.Support, Password: "correct horse battery"})
		wantCode(t, err, apperr.Unauthenticated)
	})
}

func TestOwnerRules(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		svc := auth.NewService(db, newClock().Now)
		owner := mustUser(t, svc, "owner@example.com", auth.Owner, 0)
		admin := mustUser(t, svc, "admin@example.com", auth.Admin, 0)
		staff := mustUser(t, svc, "staff@example.com", auth.Support, 0)
		asAdmin, asOwner := as(admin.Principal()), as(owner.Principal())
		ownerRole, adminRole, readOnly := auth.Owner, auth.Admin, auth.ReadOnly
		yes := true

		// Admins cannot create owners, promote to owner, or touch owners.
		_, err := svc.CreateUser(asAdmin, auth.NewUser{Email: "o2@example.com", Name: "O2", Role: auth.Owner, Password: "correct horse battery"})
		wantCode(t, err, apperr.Forbidden)
		_, err = svc.UpdateUser(asAdmin, staff.ID, auth.UserUpdate{Role: &ownerRole})
		wantCode(t, err, apperr.Forbidden)
		_, err = svc.UpdateUser(asAdmin, admin.ID, auth.UserUpdate{Role: &ownerRole})
		wantCode(t, err, apperr.Forbidden)
		_, err = svc.UpdateUser(asAdmin, owner.ID, auth.UserUpdate{Disabled: &yes})
		wantCode(t, err, apperr.Forbidden)
		wantCode(t, svc.SetPassword(asAdmin, owner.ID, "a new long password"), apperr.Forbidden)
		// ...but can manage everyone else.
		if u, err := svc.UpdateUser(asAdmin, staff.ID, auth.UserUpdate{Role: &readOnly}); err != nil || u.Role != auth.ReadOnly {
			t.Fatalf("admin demoting support: %+v, %v", u, err)
		}

		// The last active owner cannot be demoted or disabled, even by itself.
		_, err = svc.UpdateUser(asOwner, owner.ID, auth.UserUpdate{Role: &adminRole})
		wantCode(t, err, apperr.Conflict)
		_, err = svc.UpdateUser(asOwner, owner.ID, auth.UserUpdate{Disabled: &yes})
		wantCode(t, err, apperr.Conflict)
		// Once there is a second owner, the first may step down.
		if _, err := svc.UpdateUser(asOwner, admin.ID, auth.UserUpdate{Role: &ownerRole}); err != nil {
			t.Fatalf("owner promoting admin: %v", err)
		}
		if u, err := svc.UpdateUser(asOwner, owner.ID, auth.UserUpdate{Role: &adminRole}); err != nil || u.Role != auth.Admin {
			t.Fatalf("owner stepping down: %+v, %v", u, err)
		}
		nowOwner, _ := svc.GetUser(context.Background(), admin.ID)
		_, err = svc.UpdateUser(as(nowOwner.Principal()), admin.ID, auth.UserUpdate{Disabled: &yes})
		wantCode(t, err, apperr.Conflict)

		entries, err := svc.ListAudit(context.Background(), auth.AuditFilter{Event: auth.EventRoleChanged})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			got = append(got, e.Target+" "+e.Detail+" by "+e.Actor+" from "+e.IP)
		}
		want := []string{
			"user:1 owner@example.com owner -> admin by staff:1 owner@example.com from 192.0.2.1",
			"user:2 admin@example.com admin -> owner by staff:1 owner@example.com from 192.0.2.1",
			"user:3 staff@example.com support -> read_only by staff:2 admin@example.com from 192.0.2.1",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("role change audit:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

func TestLoginThrottle(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		clk := newClock()
		svc := auth.NewService(db, clk.Now)
		svc.SetThrottle(auth.ThrottleLimits{Window: 15 * time.Minute, PerAccount: 3, PerIP: 5})
		u := mustUser(t, svc, "ana@example.com", auth.Support, 0)
		ip1 := auth.WithClientIP(context.Background(), "192.0.2.1")
		ip2 := auth.WithClientIP(context.Background(), "192.0.2.2")

		if got, err := svc.Login(ip1, "ANA@example.com", "correct horse battery"); err != nil || got.ID != u.ID {
			t.Fatalf("good login: %+v, %v", got, err)
		}
		for i := 0; i < 3; i++ {
			_, err := svc.Login(ip1, "ana@example.com", "wrong password!")
			wantCode(t, err, apperr.Unauthenticated)
			clk.Add(time.Minute)
		}
		// Third failure was at +2m; the account is locked, even with the right password.
		_, err := svc.Login(ip2, "ana@example.com", "correct horse battery")
		wantCode(t, err, apperr.TooMany)
		var te *auth.ThrottledError
		if !errors.As(err, &te) || te.RetryAfter != 12*time.Minute {
			t.Fatalf("throttled error %v, want RetryAfter 12m", err)
		}
		// When the first failure leaves the window, one more try is allowed.
		clk.Add(12 * time.Minute)
		if _, err := svc.Login(ip2, "ana@example.com", "correct horse battery"); err != nil {
			t.Fatalf("login after window: %v", err)
		}
		// Success reset the account counter: three more failures are allowed.
		for i := 0; i < 2; i++ {
			_, err := svc.Login(ip2, "ana@example.com", "wrong password!")
			wantCode(t, err, apperr.Unauthenticated)
		}
		_, err = svc.Login(ip2, "ana@example.com", "correct horse battery")
		if err != nil {
			t.Fatalf("login after reset: %v", err)
		}

		// Per IP: failures against many accounts from one IP add up. ip2 has 2.
		for i := 0; i < 3; i++ {
			_, err := svc.Login(ip2, "nobody"+string(rune('a'+i))+"@example.com", "whatever password")
			wantCode(t, err, apperr.Unauthenticated)
		}
		_, err = svc.Login(ip2, "ana@example.com", "correct horse battery")
		wantCode(t, err, apperr.TooMany)
		if _, err := svc.Login(ip1, "ana@example.com", "correct horse battery"); err != nil {
			t.Fatalf("login from another IP: %v", err)
		}

		// A disabled user cannot log in, with the right password.
		yes := true
		if _, err := svc.UpdateUser(sys, u.ID, auth.UserUpdate{Disabled: &yes}); err != nil {
			t.Fatal(err)
		}
		_, err = svc.Login(ip1, "ana@example.com", "correct horse battery")
		wantCode(t, err, apperr.Unauthenticated)

		failed, err := svc.ListAudit(context.Background(), auth.AuditFilter{Event: auth.EventLoginFailed, Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		reasons := map[string]int{}
		for _, e := range failed {
			reasons[e.Detail]++
			if strings.Contains(e.Detail+e.Target, "wrong password!") || strings.Contains(e.Detail+e.Target, "correct horse") {
				t.Fatalf("audit entry leaks a password: %+v", e)
			}
		}
		want := map[string]int{"wrong password": 5, "unknown email": 3, "throttled": 2, "user disabled": 1}
		for k, n := range want {
			if reasons[k] != n {
				t.Errorf("failed logins with reason %q: %d, want %d (all: %v)", k, reasons[k], n, reasons)
			}
		}
		logins, _ := svc.ListAudit(context.Background(), auth.AuditFilter{Event: auth.EventLogin})
		if len(logins) != 4 || logins[0].IP != "192.0.2.1" || logins[0].Actor != "staff:1 ana@example.com" {
			t.Fatalf("login audit %+v", logins)
		}
	})
}

func TestTokens(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := newClock()
		svc := auth.NewService(db, clk.Now)
		admin := mustUser(t, svc, "admin@example.com", auth.Admin, 0)
		asAdmin := as(admin.Principal())

		secret, tok, err := svc.CreateToken(asAdmin, auth.NewToken{Name: "ci", Role: auth.Operations})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(secret, "oy_") || len(secret) != 3+43 || tok.CreatedBy != "staff:1 admin@example.com" {
			t.Fatalf("token %q %+v", secret, tok)
		}
		var stored string
		if err := db.R.QueryRow(`SELECT token_hash FROM api_tokens WHERE id = $1`, tok.ID).Scan(&stored); err != nil || strings.Contains(stored, secret[3:]) {
			t.Fatalf("stored token %q (%v) holds the secret", stored, err)
		}
		_, _, err = svc.CreateToken(asAdmin, auth.NewToken{Name: "root", Role: auth.Owner})
		wantCode(t, err, apperr.Forbidden)
		_, _, err = svc.CreateToken(asAdmin, auth.NewToken{Name: "", Role: auth.Supplier})
		wantCode(t, err, apperr.Invalid)

		p, err := svc.AuthenticateToken(ctx, secret)
		if err != nil || p.Kind != auth.KindToken || p.Role != auth.Operations || p.ID != tok.ID || p.Actor() != "token:1 ci" {
			t.Fatalf("AuthenticateToken = %+v, %v", p, err)
		}
		lastUsed := func() time.Time {
			got, err := svc.GetToken(ctx, tok.ID)
			if err != nil || got.LastUsedAt == nil {
				t.Fatalf("GetToken = %+v, %v", got, err)
			}
			return *got.LastUsedAt
		}
		first := lastUsed()
		clk.Add(30 * time.Second)
		svc.AuthenticateToken(ctx, secret)
		if got := lastUsed(); !got.Equal(first) {
			t.Fatalf("last_used_at moved within a minute: %v -> %v", first, got)
		}
		clk.Add(31 * time.Second)
		svc.AuthenticateToken(ctx, secret)
		if got := lastUsed(); !got.Equal(clk.Now()) {
			t.Fatalf("last_used_at = %v, want %v", got, clk.Now())
		}

		for _, bad := range []string{"", "oy_", "oy_nope", secret + "x", "Bearer " + secret} {
			_, err := svc.AuthenticateToken(ctx, bad)
			wantCode(t, err, apperr.Unauthenticated)
		}

		if _, err := svc.RevokeToken(asAdmin, tok.ID); err != nil {
			t.Fatal(err)
		}
		_, err = svc.AuthenticateToken(ctx, secret)
		wantCode(t, err, apperr.Unauthenticated)
		_, err = svc.RevokeToken(asAdmin, 999)
		wantCode(t, err, apperr.NotFound)

		exp := clk.Now().Add(time.Hour)
		secret2, _, err := svc.CreateToken(sys, auth.NewToken{Name: "temp", Role: auth.Owner, ExpiresAt: &exp})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.AuthenticateToken(ctx, secret2); err != nil {
			t.Fatalf("fresh token: %v", err)
		}
		clk.Add(time.Hour)
		_, err = svc.AuthenticateToken(ctx, secret2)
		wantCode(t, err, apperr.Unauthenticated)
		// Admins cannot revoke an owner token.
		_, err = svc.RevokeToken(asAdmin, 2)
		wantCode(t, err, apperr.Forbidden)

		list, err := svc.ListTokens(ctx, 0, 10)
		if err != nil || len(list) != 2 || list[0].RevokedAt == nil || list[1].ExpiresAt == nil {
			t.Fatalf("ListTokens = %+v, %v", list, err)
		}
		audit, _ := svc.ListAudit(ctx, auth.AuditFilter{})
		var events []string
		for _, e := range audit {
			events = append(events, e.Event)
		}
		if got, want := strings.Join(events, ","), "token.created,token.revoked,token.created,user.created"; got != want {
			t.Fatalf("audit events %s, want %s", got, want)
		}
	})
}

func TestSessionStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := newClock()
		st := auth.NewSessionStore(db, clk.Now)
		if err := st.CommitCtx(ctx, "a", []byte("one"), clk.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := st.CommitCtx(ctx, "a", []byte("two"), clk.Now().Add(2*time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := st.Commit("b", []byte("bee"), clk.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if b, ok, err := st.Find("a"); err != nil || !ok || string(b) != "two" {
			t.Fatalf("Find(a) = %q, %v, %v", b, ok, err)
		}
		clk.Add(time.Minute)
		if _, ok, err := st.FindCtx(ctx, "b"); err != nil || ok {
			t.Fatalf("expired session found: %v, %v", ok, err)
		}
		if _, ok, _ := st.FindCtx(ctx, "nope"); ok {
			t.Fatal("unknown session found")
		}
		n, err := auth.PruneSessions(ctx, db.W, clk.Now())
		if err != nil || n != 1 {
			t.Fatalf("PruneSessions = %d, %v; want 1", n, err)
		}
		if err := st.Delete("a"); err != nil {
			t.Fatal(err)
		}
		if err := st.DeleteCtx(ctx, "a"); err != nil {
			t.Fatalf("deleting twice: %v", err)
		}
		if _, ok, _ := st.Find("a"); ok {
			t.Fatal("deleted session found")
		}
	})
}

func TestSessionPrincipal(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := newClock()
		svc := auth.NewService(db, clk.Now)
		u := mustUser(t, svc, "ana@example.com", auth.Operations, 0)
		loginAt := clk.Now()
		clk.Add(time.Minute)
		p, err := svc.SessionPrincipal(ctx, u.ID, loginAt)
		if err != nil || p.Role != auth.Operations || p.Kind != auth.KindStaff {
			t.Fatalf("SessionPrincipal = %+v, %v", p, err)
		}
		// A role change applies to the running session at once.
		fin := auth.Finance
		svc.UpdateUser(sys, u.ID, auth.UserUpdate{Role: &fin})
		if p, _ := svc.SessionPrincipal(ctx, u.ID, loginAt); p == nil || p.Role != auth.Finance {
			t.Fatalf("after role change: %+v", p)
		}
		// A password change ends sessions that began before it.
		if err := svc.SetPassword(as(u.Principal()), u.ID, "a brand new password"); err != nil {
			t.Fatal(err)
		}
		_, err = svc.SessionPrincipal(ctx, u.ID, loginAt)
		wantCode(t, err, apperr.Unauthenticated)
		clk.Add(time.Minute)
		loginAt = clk.Now()
		if _, err := svc.SessionPrincipal(ctx, u.ID, loginAt); err != nil {
			t.Fatalf("new session: %v", err)
		}
		// Disabling ends them too, and re-enabling does not revive them.
		yes, no := true, false
		clk.Add(time.Minute)
		svc.UpdateUser(sys, u.ID, auth.UserUpdate{Disabled: &yes})
		_, err = svc.SessionPrincipal(ctx, u.ID, loginAt)
		wantCode(t, err, apperr.Unauthenticated)
		svc.UpdateUser(sys, u.ID, auth.UserUpdate{Disabled: &no})
		_, err = svc.SessionPrincipal(ctx, u.ID, loginAt)
		wantCode(t, err, apperr.Unauthenticated)
		_, err = svc.SessionPrincipal(ctx, 999, loginAt)
		wantCode(t, err, apperr.Unauthenticated)
	})
}

// TestLastOwnerUnderConcurrency has two owners step down at the same time:
// exactly one may succeed, on both engines.
func TestLastOwnerUnderConcurrency(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		svc := auth.NewService(db, newClock().Now)
		for round := 0; round < 5; round++ {
			a := mustUser(t, svc, fmt.Sprintf("a%d@example.com", round), auth.Owner, 0)
			b := mustUser(t, svc, fmt.Sprintf("b%d@example.com", round), auth.Owner, 0)
			// Leave only a and b as active owners.
			if round > 0 {
				prev, _ := svc.ListUsers(context.Background(), auth.UserFilter{Role: auth.Owner})
				for _, u := range prev {
					if u.ID != a.ID && u.ID != b.ID && !u.Disabled {
						yes := true
						if _, err := svc.UpdateUser(sys, u.ID, auth.UserUpdate{Disabled: &yes}); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			admin := auth.Admin
			errs := make(chan error, 2)
			for _, u := range []*auth.User{a, b} {
				go func() {
					_, err := svc.UpdateUser(as(u.Principal()), u.ID, auth.UserUpdate{Role: &admin})
					errs <- err
				}()
			}
			var ok, conflict int
			for range 2 {
				switch err := <-errs; {
				case err == nil:
					ok++
				case apperr.Is(err, apperr.Conflict):
					conflict++
				default:
					t.Fatalf("round %d: %v", round, err)
				}
			}
			if ok != 1 || conflict != 1 {
				t.Fatalf("round %d: %d succeeded, %d refused; want exactly one each", round, ok, conflict)
			}
		}
	})
}

// BenchmarkHashPassword measures one argon2id hash: the cost of every login
// and password change.
func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := auth.HashPassword("correct horse battery"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAuthenticateToken measures bearer-token authentication (one
// indexed read; last_used_at is written at most once a minute), next to a
// bare primary-key read on the same database as the baseline.
func BenchmarkAuthenticateToken(b *testing.B) {
	db := storetest.Open(b, store.SQLite)
	svc := auth.NewService(db, nil)
	secret, _, err := svc.CreateToken(sys, auth.NewToken{Name: "bench", Role: auth.Admin})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.Run("baseline-pk-read", func(b *testing.B) {
		for b.Loop() {
			var n string
			if err := db.R.QueryRowContext(ctx, `SELECT name FROM api_tokens WHERE id = $1`, 1).Scan(&n); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("authenticate", func(b *testing.B) {
		for b.Loop() {
			if _, err := svc.AuthenticateToken(ctx, secret); err != nil {
				b.Fatal(err)
			}
		}
	})
}
