package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

// Staff create a supplier token on the tokens page.
func TestConsoleSupplierToken(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, base := newConsoleServer(t, db)
		sup := insertSupplier(t, db, "Lisboa Cerâmica")
		email, password := consoleUser(t, s, auth.Admin, "admin@example.com")
		c := newConsoleClient(t, base)
		c.login(email, password)

		r := c.get("/console/tokens")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, `name="supplier_id"`, "Lisboa Cerâmica")

		r = c.post("/console/tokens", url.Values{"name": {"lisboa push"}, "role": {"read_only"}, "supplier_id": {strconv.FormatInt(sup, 10)}})
		wantStatus(t, r, http.StatusCreated)
		secret := between(r.body, `<code class="secret" id="new-token">`, `</code>`)
		p, err := s.cfg.Auth.AuthenticateToken(context.Background(), secret)
		if err != nil {
			t.Fatalf("the token shown does not authenticate: %v", err)
		}
		if p.Role != auth.Supplier || p.SupplierID != sup {
			t.Fatalf("token %+v: want role supplier for supplier %d", p, sup)
		}
		r = c.get("/console/tokens")
		wantBody(t, r, "lisboa push", "supplier", "for Lisboa Cerâmica")

		r = c.post("/console/tokens", url.Values{"name": {"bad"}, "role": {"read_only"}, "supplier_id": {"x"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, `id="supplier-err"`, "choose a supplier from the list")
	})
}
