package web

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
	"github.com/orderly-oms/orderly/internal/suppliers"
)

// consoleClient is a browser stand-in: it keeps cookies and does not follow
// redirects, so tests see each 303.
type consoleClient struct {
	t    testing.TB
	base string
	http *http.Client
}

// consoleResponse is a response read in full.
type consoleResponse struct {
	status int
	header http.Header
	body   string
}

// newConsoleServer starts a real server over db and returns it with its URL.
func newConsoleServer(t testing.TB, db *store.DB) (*Server, string) {
	t.Helper()
	s, err := New(Config{DB: db, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return s, ts.URL
}

func newConsoleClient(t testing.TB, base string) *consoleClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &consoleClient{t: t, base: base, http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// consoleUser creates a user with role and returns its email and password.
func consoleUser(t testing.TB, s *Server, role auth.Role, email string) (string, string) {
	t.Helper()
	const password = "correct horse battery"
	in := auth.NewUser{Email: email, Name: string(role) + " user", Role: role, Password: password}
	if role == auth.Supplier {
		in.SupplierID = consoleSupplierID(t, s)
	}
	ctx := auth.WithPrincipal(context.Background(), auth.System("test"))
	if _, err := s.cfg.Auth.CreateUser(ctx, in); err != nil {
		t.Fatalf("create %s user: %v", role, err)
	}
	return email, password
}

func (c *consoleClient) do(req *http.Request) consoleResponse {
	c.t.Helper()
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return consoleResponse{status: res.StatusCode, header: res.Header, body: string(b)}
}

func (c *consoleClient) get(path string) consoleResponse {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

// htmx sends a GET the way htmx does, asking for a fragment.
func (c *consoleClient) htmx(path string) consoleResponse {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("HX-Request", "true")
	return c.do(req)
}

func (c *consoleClient) post(path string, form url.Values) consoleResponse {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// What a browser sends for a form on the same site.
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

// login logs in through the form and fails the test unless it succeeds.
func (c *consoleClient) login(email, password string) {
	c.t.Helper()
	r := c.post("/login", url.Values{"email": {email}, "password": {password}})
	if r.status != http.StatusSeeOther {
		c.t.Fatalf("login as %s: status %d, want 303: %s", email, r.status, r.body)
	}
}

func wantStatus(t *testing.T, r consoleResponse, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body:\n%s", r.status, status, r.body)
	}
}

func wantBody(t *testing.T, r consoleResponse, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(r.body, p) {
			t.Errorf("body lacks %q; body:\n%s", p, r.body)
		}
	}
}

func wantNotBody(t *testing.T, r consoleResponse, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if strings.Contains(r.body, p) {
			t.Errorf("body has %q but should not; body:\n%s", p, r.body)
		}
	}
}

func TestConsoleLoginLogout(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, base := newConsoleServer(t, db)
		email, password := consoleUser(t, s, auth.Operations, "ops@example.com")
		c := newConsoleClient(t, base)

		r := c.get("/console/users")
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/login?next=%2Fconsole%2Fusers" {
			t.Fatalf("anonymous redirect to %q", loc)
		}
		r = c.get("/login?next=%2Fconsole%2Fstock%3Fq%3DMUG")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, `<label for="email">Email</label>`, `name="next" value="/console/stock?q=MUG"`)

		r = c.post("/login", url.Values{"email": {""}, "password": {""}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, "Enter your email and your password.", `aria-invalid="true"`)

		r = c.post("/login", url.Values{"email": {email}, "password": {"wrong password!"}, "next": {"/console/stock"}})
		wantStatus(t, r, http.StatusUnauthorized)
		wantBody(t, r, `role="alert"`, `value="ops@example.com"`, `name="next" value="/console/stock"`)
		wantNotBody(t, r, "wrong password!")

		r = c.post("/login", url.Values{"email": {"OPS@example.com"}, "password": {password}, "next": {"/console/stock?q=MUG"}})
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/console/stock?q=MUG" {
			t.Fatalf("after login redirect to %q, want the next page", loc)
		}
		r = c.get("/")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "ops@example.com", `action="/logout"`)

		// Logged in, the login page sends the user on.
		r = c.get("/login")
		wantStatus(t, r, http.StatusSeeOther)

		r = c.post("/logout", nil)
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/login" {
			t.Fatalf("logout redirect to %q", loc)
		}
		r = c.get("/")
		wantStatus(t, r, http.StatusSeeOther)
	})
}

func TestConsoleLoginNextOnlyLocal(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	s, base := newConsoleServer(t, db)
	email, password := consoleUser(t, s, auth.ReadOnly, "ro@example.com")
	tests := []struct{ next, want string }{
		{"/console/stock", "/console/stock"},
		{"/console/stock?q=A&low=1", "/console/stock?q=A&low=1"},
		{"", "/"},
		{"https://evil.example/", "/"},
		{"//evil.example/", "/"},
		{"/\\evil.example/", "/"},
		{"/\t/evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{"console/stock", "/"},
	}
	for _, tt := range tests {
		c := newConsoleClient(t, base)
		r := c.post("/login", url.Values{"email": {email}, "password": {password}, "next": {tt.next}})
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != tt.want {
			t.Errorf("next %q: redirected to %q, want %q", tt.next, loc, tt.want)
		}
	}
}

func TestConsoleCrossOriginPostRefused(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	s, base := newConsoleServer(t, db)
	email, password := consoleUser(t, s, auth.Owner, "owner@example.com")
	c := newConsoleClient(t, base)
	c.login(email, password)
	req, _ := http.NewRequest(http.MethodPost, base+"/console/tokens", strings.NewReader("name=evil&role=owner"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	r := c.do(req)
	wantStatus(t, r, http.StatusForbidden)
	tokens, err := s.cfg.Auth.ListTokens(context.Background(), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(tokens) != 0 {
		t.Fatalf("a cross-site form post created %d tokens", len(tokens))
	}
}

// TestConsoleNavFollowsRole checks that each role sees exactly the areas its
// permissions open, and that the pages behind hidden links are refused.
func TestConsoleNavFollowsRole(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	s, base := newConsoleServer(t, db)
	for _, role := range auth.AllRoles {
		t.Run(string(role), func(t *testing.T) {
			email, password := consoleUser(t, s, role, string(role)+"@example.com")
			c := newConsoleClient(t, base)
			c.login(email, password)
			home := c.get("/")
			wantStatus(t, home, http.StatusOK)
			for _, n := range consoleNav {
				link := `href="` + n.Path + `"`
				shown := strings.Contains(home.body, link)
				if shown != role.Can(n.Perm) {
					t.Errorf("nav link %s shown=%v, but role may open it=%v", n.Path, shown, role.Can(n.Perm))
				}
				page := c.get(n.Path)
				want := http.StatusOK
				if !role.Can(n.Perm) {
					want = http.StatusForbidden
				}
				if page.status != want {
					t.Errorf("GET %s: status %d, want %d", n.Path, page.status, want)
				}
			}
		})
	}
}

func TestConsoleStaticAssets(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	_, base := newConsoleServer(t, db)
	c := newConsoleClient(t, base)
	login := c.get("/login")
	wantStatus(t, login, http.StatusOK)
	for _, name := range []string{"console.css", "htmx.min.js"} {
		link := "/console/static/" + name + "?v=" + assetVersions[name]
		wantBody(t, login, link)
		r := c.get(link)
		wantStatus(t, r, http.StatusOK)
		if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") {
			t.Errorf("%s: Cache-Control %q, want long-lived", name, cc)
		}
		if len(r.body) < 1000 {
			t.Errorf("%s: only %d bytes", name, len(r.body))
		}
	}
	wantStatus(t, c.get("/console/static/nope.js"), http.StatusNotFound)
	// No directory listings, and nothing outside the embedded assets.
	wantStatus(t, c.get("/console/static/"), http.StatusNotFound)
	wantStatus(t, c.get("/console/static/htmx.LICENSE/"), http.StatusNotFound)
}

// consoleSupplierID creates a supplier for supplier users to belong to.
func consoleSupplierID(t testing.TB, s *Server) int64 {
	t.Helper()
	sup, err := suppliers.NewService(s.cfg.DB, time.Now).CreateSupplier(context.Background(), suppliers.NewSupplier{
		Name: "Supplier " + rand.Text()[:8], Timezone: "Europe/Lisbon", Country: "PT",
	})
	if err != nil {
		t.Fatal(err)
	}
	return sup.ID
}

func TestConsoleUsersForms(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, base := newConsoleServer(t, db)
		email, password := consoleUser(t, s, auth.Admin, "admin@example.com")
		consoleUser(t, s, auth.Owner, "owner@example.com")
		c := newConsoleClient(t, base)
		c.login(email, password)

		r := c.get("/console/users")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "admin@example.com", "owner@example.com", `<th scope="col">Role</th>`, `<label for="email">Email</label>`)

		tests := []struct {
			name   string
			form   url.Values
			status int
			want   []string
		}{
			{"bad email", url.Values{"email": {"not-an-email"}, "name": {"X"}, "role": {"support"}, "password": {"long enough pw"}},
				http.StatusUnprocessableEntity, []string{`id="email-err"`, `value="not-an-email"`}},
			{"short password", url.Values{"email": {"s@example.com"}, "name": {"S"}, "role": {"support"}, "password": {"short"}},
				http.StatusUnprocessableEntity, []string{`id="password-err"`, "at least 10 characters"}},
			{"admin may not create an owner", url.Values{"email": {"o2@example.com"}, "name": {"O"}, "role": {"owner"}, "password": {"long enough pw"}},
				http.StatusForbidden, []string{"nly an owner can"}},
			{"duplicate email", url.Values{"email": {"OWNER@example.com"}, "name": {"O"}, "role": {"support"}, "password": {"long enough pw"}},
				http.StatusConflict, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				r := c.post("/console/users", tt.form)
				wantStatus(t, r, tt.status)
				wantBody(t, r, append(tt.want, `role="alert"`)...)
			})
		}

		r = c.post("/console/users", url.Values{"email": {"Sam@Example.com"}, "name": {"Sam"}, "role": {"support"}, "password": {"long enough pw"}})
		wantStatus(t, r, http.StatusSeeOther)
		if loc := r.header.Get("Location"); loc != "/console/users?done=user-created" {
			t.Fatalf("redirect to %q", loc)
		}
		r = c.get("/console/users?done=user-created")
		wantBody(t, r, "User created.", "sam@example.com")
		sam, err := s.cfg.Auth.UserByEmail(context.Background(), "sam@example.com")
		if err != nil {
			t.Fatal(err)
		}
		id := strconv.FormatInt(sam.ID, 10)

		wantStatus(t, c.post("/console/users/"+id+"/role", url.Values{"role": {"finance"}}), http.StatusSeeOther)
		wantStatus(t, c.post("/console/users/"+id+"/disable", nil), http.StatusSeeOther)
		sam, err = s.cfg.Auth.GetUser(context.Background(), sam.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sam.Role != auth.Finance || !sam.Disabled {
			t.Fatalf("after the forms: role %s disabled %v, want finance and disabled", sam.Role, sam.Disabled)
		}
		r = c.post("/console/users/"+id+"/role", url.Values{"role": {"owner"}})
		wantStatus(t, r, http.StatusForbidden)
		wantBody(t, r, "nly an owner can")
		wantStatus(t, c.post("/console/users/999999/role", url.Values{"role": {"finance"}}), http.StatusNotFound)

		// A disabled user cannot log in.
		d := newConsoleClient(t, base)
		wantStatus(t, d.post("/login", url.Values{"email": {"sam@example.com"}, "password": {"long enough pw"}}), http.StatusUnauthorized)

		// Read-only users see the list but no forms, and cannot post.
		roEmail, roPassword := consoleUser(t, s, auth.ReadOnly, "ro@example.com")
		ro := newConsoleClient(t, base)
		ro.login(roEmail, roPassword)
		r = ro.get("/console/users")
		wantStatus(t, r, http.StatusForbidden) // users:read is owner/admin only
		wantStatus(t, ro.post("/console/users", url.Values{"email": {"x@example.com"}}), http.StatusForbidden)
	})
}

func TestConsoleTokens(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, db *store.DB) {
		s, base := newConsoleServer(t, db)
		email, password := consoleUser(t, s, auth.Owner, "owner@example.com")
		c := newConsoleClient(t, base)
		c.login(email, password)

		r := c.post("/console/tokens", url.Values{"name": {""}, "role": {"read_only"}})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		wantBody(t, r, `id="name-err"`)

		r = c.post("/console/tokens", url.Values{"name": {"shop sync"}, "role": {"operations"}})
		wantStatus(t, r, http.StatusCreated)
		wantBody(t, r, "shown only once", `id="new-token"`)
		secret := between(r.body, `<code class="secret" id="new-token">`, `</code>`)
		p, err := s.cfg.Auth.AuthenticateToken(context.Background(), secret)
		if err != nil {
			t.Fatalf("the token shown does not authenticate: %v", err)
		}
		if p.Role != auth.Operations {
			t.Fatalf("token role %s", p.Role)
		}
		// The list never shows the secret again.
		r = c.get("/console/tokens")
		wantStatus(t, r, http.StatusOK)
		wantBody(t, r, "shop sync", "operations")
		wantNotBody(t, r, secret)

		r = c.post("/console/tokens/"+strconv.FormatInt(p.ID, 10)+"/revoke", nil)
		wantStatus(t, r, http.StatusSeeOther)
		if _, err := s.cfg.Auth.AuthenticateToken(context.Background(), secret); err == nil {
			t.Fatal("a revoked token still authenticates")
		}
		r = c.get("/console/tokens?done=token-revoked")
		wantBody(t, r, "Token revoked.", "revoked")
	})
}

// between returns the text of s between the first from and the next to.
func between(s, from, to string) string {
	_, after, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, to)
	return v
}

func TestConsoleHomeCounts(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	s, base := newConsoleServer(t, db)
	seedConsole(t, s)
	c := newConsoleClient(t, base)
	c.login(consoleUser(t, s, auth.Owner, "owner@example.com"))
	consoleUser(t, s, auth.Support, "support@example.com")
	r := c.get("/")
	wantStatus(t, r, http.StatusOK)
	wantBody(t, r,
		`<span class="count">2</span>
    <strong>Suppliers</strong>`,
		`<span class="count">2</span>
    <strong>Users</strong>`,
		`<span class="count">0</span>
    <strong>API tokens</strong>`)
}

// TestConsoleHTMXAfterSessionEnds checks that an htmx request from a page
// whose session has ended sends the browser to the login page in full
// (HX-Redirect), instead of swapping the login form into a table.
func TestConsoleHTMXAfterSessionEnds(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	_, base := newConsoleServer(t, db)
	c := newConsoleClient(t, base)
	req, _ := http.NewRequest(http.MethodGet, base+"/console/stock?q=mug", nil)
	req.Header.Set("HX-Request", "true")
	r := c.do(req)
	wantStatus(t, r, http.StatusSeeOther)
	loc := r.header.Get("Location")

	// The browser follows the redirect, keeping htmx's headers.
	req, _ = http.NewRequest(http.MethodGet, base+loc, nil)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Current-URL", base+"/console/stock?q=mu")
	r = c.do(req)
	wantStatus(t, r, http.StatusNoContent)
	if got, want := r.header.Get("HX-Redirect"), "/login?next="+url.QueryEscape("/console/stock?q=mu"); got != want {
		t.Fatalf("HX-Redirect %q, want %q", got, want)
	}
	if r.body != "" {
		t.Fatalf("body %q, want none", r.body)
	}
}
