package auth_test

import (
	"os"
	"strings"
	"testing"

	"github.com/orderly-oms/orderly/internal/auth"
)

// TestPermissionsDocMatchesTable fails when the table in docs/permissions.md
// says something other than the permission table in code.
func TestPermissionsDocMatchesTable(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../docs/permissions.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start := strings.Index(doc, "<!-- permission-table:start -->")
	end := strings.Index(doc, "<!-- permission-table:end -->")
	if start < 0 || end < start {
		t.Fatal("docs/permissions.md lacks the permission-table markers")
	}
	lines := strings.Split(strings.TrimSpace(doc[start+len("<!-- permission-table:start -->"):end]), "\n")
	cells := func(line string) []string {
		parts := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		for i := range parts {
			parts[i] = strings.Trim(strings.TrimSpace(parts[i]), "`")
		}
		return parts
	}
	header := cells(lines[0])
	var roles []auth.Role
	for _, h := range header[1:] {
		roles = append(roles, auth.Role(h))
	}
	if strings.Join(header[1:], ",") != rolesCSV(auth.AllRoles) {
		t.Fatalf("doc table columns %v, want the roles %v", header[1:], auth.AllRoles)
	}
	seen := map[auth.Permission]bool{}
	for _, line := range lines[2:] {
		c := cells(line)
		perm := auth.Permission(c[0])
		if seen[perm] {
			t.Errorf("doc lists %s twice", perm)
		}
		seen[perm] = true
		if len(c) != len(roles)+1 {
			t.Errorf("doc row %s has %d role cells, want %d", perm, len(c)-1, len(roles))
			continue
		}
		for i, r := range roles {
			doc := c[i+1] == "✓"
			if c[i+1] != "" && !doc {
				t.Errorf("doc row %s, column %s: %q is neither ✓ nor empty", perm, r, c[i+1])
			}
			if code := r.Can(perm) && perm != auth.Public && perm != auth.Authenticated; doc != code {
				t.Errorf("%s for %s: docs say %v, code says %v", perm, r, doc, code)
			}
		}
	}
	for _, p := range auth.Permissions() {
		if !seen[p] {
			t.Errorf("permission %s is missing from docs/permissions.md", p)
		}
	}
}

func rolesCSV(roles []auth.Role) string {
	s := make([]string, len(roles))
	for i, r := range roles {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}
