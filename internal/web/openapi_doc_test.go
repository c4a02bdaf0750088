package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/orderly-oms/orderly/internal/store"
	"github.com/orderly-oms/orderly/internal/store/storetest"
)

const openAPIDoc = "../../docs/openapi.json"

// regenerateOpenAPI is the command that rewrites docs/openapi.json.
const regenerateOpenAPI = "go test ./internal/web -run TestOpenAPISnapshot -update"

// openAPIVersion is the info.version of the snapshot: the version a build
// without -ldflags reports, so the file does not change with each release.
const openAPIVersion = "dev"

// marshalOpenAPI renders v as the snapshot is written: two-space indent,
// keys in the order the marshaller gives (sorted for maps), no HTML
// escaping, a final newline.
func marshalOpenAPI(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// TestOpenAPISnapshot keeps docs/openapi.json equal to the OpenAPI document
// the server serves at /api/v1/openapi.json. Adding or changing an API
// operation or a request/response type changes the document: regenerate the
// file with -update and commit it with the change.
func TestOpenAPISnapshot(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	s, err := New(Config{DB: db, Logger: discardLogger(), Version: openAPIVersion})
	if err != nil {
		t.Fatal(err)
	}
	want, err := marshalOpenAPI(s.API().OpenAPI())
	if err != nil {
		t.Fatal(err)
	}

	// What the running server serves must be that same document.
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, APIPrefix+"/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s/openapi.json: %d %s", APIPrefix, rec.Code, rec.Body)
	}
	var served, generated any
	if err := json.Unmarshal(rec.Body.Bytes(), &served); err != nil {
		t.Fatalf("served document: %v", err)
	}
	if err := json.Unmarshal(want, &generated); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(generated, served); diff != "" {
		t.Fatalf("the served /openapi.json differs from API().OpenAPI() (-generated +served):\n%s", diff)
	}

	got, err := os.ReadFile(openAPIDoc)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if bytes.Equal(got, want) {
		return
	}
	if *updateDocs {
		if err := os.WriteFile(openAPIDoc, want, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", openAPIDoc)
		return
	}
	if err != nil {
		t.Fatalf("docs/openapi.json is missing; create it with: %s", regenerateOpenAPI)
	}
	t.Errorf("docs/openapi.json is stale: the API the server serves has changed.\n"+
		"If the change is intended, regenerate the file and commit it with your change:\n\n    %s\n\n%s",
		regenerateOpenAPI, openAPIChanges(got, want))
}

// openAPIChanges says what differs between the committed and the served
// document: operations and schemas added or removed, or else the first
// differing line.
func openAPIChanges(committed, served []byte) string {
	var a, b struct {
		Paths      map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(committed, &a); err != nil {
		return fmt.Sprintf("(the committed file is not valid JSON: %v)", err)
	}
	if err := json.Unmarshal(served, &b); err != nil {
		return fmt.Sprintf("(the served document is not valid JSON: %v)", err)
	}
	ops := func(paths map[string]map[string]any) map[string]any {
		m := map[string]any{}
		for p, item := range paths {
			for method, op := range item {
				m[strings.ToUpper(method)+" "+p] = op
			}
		}
		return m
	}
	var lines []string
	lines = append(lines, setChanges("operation", ops(a.Paths), ops(b.Paths))...)
	lines = append(lines, setChanges("schema", a.Components.Schemas, b.Components.Schemas)...)
	if len(lines) == 0 {
		al, bl := strings.Split(string(committed), "\n"), strings.Split(string(served), "\n")
		for i := 0; i < max(len(al), len(bl)); i++ {
			var x, y string
			if i < len(al) {
				x = al[i]
			}
			if i < len(bl) {
				y = bl[i]
			}
			if x != y {
				lines = append(lines, fmt.Sprintf("first difference at line %d:\n  committed: %s\n  served:    %s", i+1, x, y))
				break
			}
		}
	}
	return strings.Join(lines, "\n")
}

// setChanges lists the keys only one of old and new has, and those whose
// values differ.
func setChanges(kind string, old, new map[string]any) []string {
	var out []string
	for k, v := range new {
		if ov, ok := old[k]; !ok {
			out = append(out, fmt.Sprintf("  %s added: %s", kind, k))
		} else if !cmp.Equal(ov, v) {
			out = append(out, fmt.Sprintf("  %s changed: %s", kind, k))
		}
	}
	for k := range old {
		if _, ok := new[k]; !ok {
			out = append(out, fmt.Sprintf("  %s removed: %s", kind, k))
		}
	}
	slices.Sort(out)
	return out
}
