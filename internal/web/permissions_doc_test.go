package web

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

var updateDocs = flag.Bool("update", false, "rewrite generated documentation (the route list in docs/permissions.md, docs/openapi.json)")

const permissionsDoc = "../../docs/permissions.md"

// routesMarkdown lists routes grouped by permission, in table order, each
// group sorted by path and method.
func routesMarkdown(routes []Route) string {
	routes = slices.Clone(routes)
	slices.SortFunc(routes, func(a, b Route) int {
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return strings.Compare(a.Method, b.Method)
	})
	order := append([]auth.Permission{auth.Public, auth.Authenticated}, auth.Permissions()...)
	var b strings.Builder
	for _, perm := range order {
		var lines []string
		for _, r := range routes {
			if r.Permission != perm {
				continue
			}
			kind := "HTTP"
			switch {
			case r.Console:
				kind = "console"
			case strings.HasPrefix(r.Path, APIPrefix+"/"):
				kind = "API"
			}
			method := r.Method
			if method == "" {
				method = "any"
			}
			lines = append(lines, fmt.Sprintf("| `%s` | `%s` | %s |", method, r.Path, kind))
		}
		if len(lines) > 0 {
			fmt.Fprintf(&b, "\n### `%s`\n\n| method | path | kind |\n|---|---|---|\n%s\n", perm, strings.Join(lines, "\n"))
		}
	}
	return b.String() + "\n"
}

// TestPermissionsDocRoutes keeps the route list in docs/permissions.md equal
// to the server's route table. Run with -update to rewrite it.
func TestPermissionsDocRoutes(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	s, err := New(Config{DB: db, Logger: discardLogger()})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(permissionsDoc)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	const startMark, endMark = "<!-- routes:start -->", "<!-- routes:end -->"
	start, end := strings.Index(doc, startMark), strings.Index(doc, endMark)
	if start < 0 || end < start {
		t.Fatalf("%s lacks the %s / %s markers", permissionsDoc, startMark, endMark)
	}
	want := routesMarkdown(s.Routes())
	if got := doc[start+len(startMark) : end]; got == want {
		return
	}
	if *updateDocs {
		doc = doc[:start+len(startMark)] + want + doc[end:]
		if err := os.WriteFile(permissionsDoc, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the route list in docs/permissions.md is stale; run: go test ./internal/web -run TestPermissionsDocRoutes -update")
}
