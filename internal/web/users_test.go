package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatalf("decode %d %s: %v", r.status, r.body, err)
	}
	return v
}

func TestUsersAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, ts := authTestServer(t, db, Config{})
		api := ts.URL + APIPrefix
		token := func(role auth.Role) string {
			secret, _, err := s.cfg.Auth.CreateToken(sysCtx, auth.NewToken{Name: string(role), Role: role})
			if err != nil {
				t.Fatal(err)
			}
			return secret
		}
		owner, admin := token(auth.Owner), token(auth.Admin)
		expect := func(r response, status int) response {
			t.Helper()
			if r.status != status {
				t.Fatalf("got %d, want %d: %s", r.status, status, r.body)
			}
			return r
		}

		o := decode[auth.User](t, expect(send(t, "POST", api+"/users", nil, owner, map[string]any{
			"email": "Boss@Example.com", "name": "Boss", "role": "owner", "password": "correct horse battery"}), 201))
		if o.Email != "boss@example.com" || o.Role != auth.Owner || strings.Contains(fmt.Sprint(o), "argon2") {
			t.Fatalf("created %+v", o)
		}
		sup := decode[auth.User](t, expect(send(t, "POST", api+"/users", nil, admin, map[string]any{
			"email": "help@example.com", "name": "Help", "role": "support", "password": "correct horse battery"}), 201))

		// Bad input names the field; duplicates conflict; owners are for owners.
		r := expect(send(t, "POST", api+"/users", nil, admin, map[string]any{
			"email": "x@example.com", "name": "X", "role": "supplier", "supplier_id": 4242, "password": "correct horse battery"}), 422)
		if !strings.Contains(r.body, `"field":"supplier_id"`) {
			t.Fatalf("unknown supplier: %s", r.body)
		}
		expect(send(t, "POST", api+"/users", nil, admin, map[string]any{
			"email": "x@example.com", "name": "X", "role": "support", "password": "x@example.com"}), 422)
		expect(send(t, "POST", api+"/users", nil, admin, map[string]any{
			"email": "HELP@example.com", "name": "Twin", "role": "support", "password": "correct horse battery"}), 409)
		expect(send(t, "POST", api+"/users", nil, admin, map[string]any{
			"email": "o2@example.com", "name": "O2", "role": "owner", "password": "correct horse battery"}), 403)
		expect(send(t, "PATCH", fmt.Sprintf("%s/users/%d", api, sup.ID), nil, admin, map[string]any{"role": "owner"}), 403)
		expect(send(t, "PATCH", fmt.Sprintf("%s/users/%d", api, o.ID), nil, admin, map[string]any{"name": "Renamed"}), 403)
		expect(send(t, "POST", fmt.Sprintf("%s/users/%d/password", api, o.ID), nil, admin, map[string]any{"password": "a brand new password"}), 403)
		// The last owner stays.
		r = expect(send(t, "PATCH", fmt.Sprintf("%s/users/%d", api, o.ID), nil, owner, map[string]any{"disabled": true}), 409)
		if problemCode(t, r.body) != "conflict" {
			t.Fatalf("last owner: %s", r.body)
		}

		// A supplier user belongs to one supplier.
		sid := insertSupplier(t, db, "Porto Linen")
		su := decode[auth.User](t, expect(send(t, "POST", api+"/users", nil, admin, map[string]any{
			"email": "ops@porto.example", "name": "Porto", "role": "supplier", "supplier_id": sid, "password": "correct horse battery"}), 201))
		if su.SupplierID != sid || su.Role != auth.Supplier {
			t.Fatalf("supplier user %+v", su)
		}

		updated := decode[auth.User](t, expect(send(t, "PATCH", fmt.Sprintf("%s/users/%d", api, sup.ID), nil, admin, map[string]any{"role": "finance", "disabled": true}), 200))
		if updated.Role != auth.Finance || !updated.Disabled || updated.Name != "Help" {
			t.Fatalf("updated %+v", updated)
		}
		expect(send(t, "POST", fmt.Sprintf("%s/users/%d/password", api, sup.ID), nil, admin, map[string]any{"password": "short"}), 422)
		expect(send(t, "POST", fmt.Sprintf("%s/users/%d/password", api, sup.ID), nil, admin, map[string]any{"password": "a brand new password"}), 204)
		expect(send(t, "GET", api+"/users/999", nil, admin, nil), 404)

		// Keyset pages.
		page := decode[Page[auth.User]](t, expect(send(t, "GET", api+"/users?limit=2", nil, admin, nil), 200))
		if len(page.Items) != 2 || page.Next == "" {
			t.Fatalf("page 1 %+v", page)
		}
		page2 := decode[Page[auth.User]](t, expect(send(t, "GET", api+"/users?limit=2&after="+page.Next, nil, admin, nil), 200))
		if len(page2.Items) != 1 || page2.Next != "" || page2.Items[0].ID != su.ID {
			t.Fatalf("page 2 %+v", page2)
		}
		bySupplier := decode[Page[auth.User]](t, expect(send(t, "GET", fmt.Sprintf("%s/users?supplier_id=%d", api, sid), nil, admin, nil), 200))
		if len(bySupplier.Items) != 1 || bySupplier.Items[0].ID != su.ID {
			t.Fatalf("by supplier %+v", bySupplier)
		}

		// The audit log saw it all, newest first, with actor and IP.
		audit := decode[Page[auth.AuditEntry]](t, expect(send(t, "GET", api+"/audit?limit=3", nil, owner, nil), 200))
		var got []string
		for _, e := range audit.Items {
			got = append(got, e.Event+" "+e.Target+" by "+e.Actor+" from "+e.IP+" "+e.Detail)
		}
		target := fmt.Sprintf("user:%d help@example.com by token:2 admin from 127.0.0.1 ", sup.ID)
		want := []string{
			"user.password_changed " + target,
			"user.disabled " + target,
			"user.role_changed " + target + "support -> finance",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("audit:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		older := decode[Page[auth.AuditEntry]](t, expect(send(t, "GET", api+"/audit?event=user.created&after="+audit.Next, nil, owner, nil), 200))
		if len(older.Items) != 3 || older.Items[0].Target != fmt.Sprintf("user:%d ops@porto.example", su.ID) {
			t.Fatalf("older user.created %+v", older.Items)
		}
		expect(send(t, "GET", api+"/audit", nil, token(auth.Operations), nil), 403)
	})
}

func TestTokensAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, ts := authTestServer(t, db, Config{})
		api := ts.URL + APIPrefix
		admin, _, err := s.cfg.Auth.CreateToken(sysCtx, auth.NewToken{Name: "bootstrap", Role: auth.Admin})
		if err != nil {
			t.Fatal(err)
		}
		r := send(t, "POST", api+"/tokens", nil, admin, map[string]any{"name": "shop sync", "role": "operations"})
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		created := decode[createdToken](t, r)
		if !strings.HasPrefix(created.Secret, auth.TokenPrefix) || created.Role != auth.Operations || created.CreatedBy != "token:1 bootstrap" {
			t.Fatalf("created %+v", created)
		}
		if r := send(t, "GET", api+"/me", nil, created.Secret, nil); r.status != 200 || decode[meBody](t, r).Role != auth.Operations {
			t.Fatalf("new token: %d %s", r.status, r.body)
		}
		if r := send(t, "POST", api+"/tokens", nil, admin, map[string]any{"name": "root", "role": "owner"}); r.status != http.StatusForbidden {
			t.Fatalf("admin creating an owner token: %d", r.status)
		}
		if r := send(t, "POST", api+"/tokens", nil, admin, map[string]any{"name": "s", "role": "supplier"}); r.status != http.StatusUnprocessableEntity {
			t.Fatalf("supplier token: %d", r.status)
		}
		list := decode[Page[auth.Token]](t, send(t, "GET", api+"/tokens", nil, admin, nil))
		if len(list.Items) != 2 || strings.Contains(fmt.Sprint(list), created.Secret) {
			t.Fatalf("list %+v", list)
		}
		r = send(t, "DELETE", fmt.Sprintf("%s/tokens/%d", api, created.ID), nil, admin, nil)
		if r.status != 200 || decode[auth.Token](t, r).RevokedAt == nil {
			t.Fatalf("revoke: %d %s", r.status, r.body)
		}
		if r := send(t, "GET", api+"/me", nil, created.Secret, nil); r.status != http.StatusUnauthorized {
			t.Fatalf("revoked token: %d", r.status)
		}
		if r := send(t, "DELETE", api+"/tokens/99", nil, admin, nil); r.status != http.StatusNotFound {
			t.Fatalf("revoke unknown: %d", r.status)
		}
	})
}

func TestChangeOwnPassword(t *testing.T) {
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, ts := authTestServer(t, db, Config{})
		if _, err := s.cfg.Auth.CreateUser(sysCtx, auth.NewUser{Email: "ana@example.com", Name: "Ana", Role: auth.Support, Password: "correct horse battery"}); err != nil {
			t.Fatal(err)
		}
		login := func(pw string) *http.Cookie {
			return sessionCookieOf(send(t, "POST", ts.URL+"/test/login", nil, "", url.Values{"email": {"ana@example.com"}, "password": {pw}}))
		}
		whoami := func(c *http.Cookie) string { return send(t, "GET", ts.URL+"/test/whoami", c, "", nil).body }
		here, other := login("correct horse battery"), login("correct horse battery")
		api := ts.URL + APIPrefix + "/me/password"

		r := send(t, "POST", api, here, "", map[string]any{"current_password": "wrong password", "new_password": "a brand new password"})
		if r.status != 422 || !strings.Contains(r.body, "current_password") {
			t.Fatalf("wrong current password: %d %s", r.status, r.body)
		}
		r = send(t, "POST", api, here, "", map[string]any{"current_password": "correct horse battery", "new_password": "short"})
		if r.status != 422 {
			t.Fatalf("short new password: %d %s", r.status, r.body)
		}
		r = send(t, "POST", api, here, "", map[string]any{"current_password": "correct horse battery", "new_password": "a brand new password"})
		renewed := sessionCookieOf(r)
		if r.status != 204 || renewed == nil || renewed.Value == here.Value {
			t.Fatalf("change: %d, cookie %v", r.status, renewed)
		}
		if whoami(renewed) == "anonymous" {
			t.Fatal("the session that changed the password was ended")
		}
		if got := whoami(other); got != "anonymous" {
			t.Fatalf("another session survived the password change: %q", got)
		}
		if login("correct horse battery") != nil || login("a brand new password") == nil {
			t.Fatal("the old password still works, or the new one does not")
		}

		secret, _, _ := s.cfg.Auth.CreateToken(sysCtx, auth.NewToken{Name: "ci", Role: auth.Admin})
		if r := send(t, "POST", api, nil, secret, map[string]any{"current_password": "x", "new_password": "a brand new password"}); r.status != 422 {
			t.Fatalf("token changing a password: %d %s", r.status, r.body)
		}
	})
}
