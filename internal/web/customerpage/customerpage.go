// Package customerpage holds the customer's order page templates: its own
// small layout (templates/layout.html) with the store's name, not the staff
// console's, and the page bodies (order.html, problem.html). Everything is embedded in the binary; the handlers live in
// package web (internal/web/customer_page.go).
package customerpage

import (
	"embed"
	"io/fs"
)

//go:embed templates/*.html
var templates embed.FS

// Templates returns the templates, named like "order.html".
func Templates() fs.FS {
	sub, err := fs.Sub(templates, "templates")
	if err != nil {
		// fs.Sub only fails on an invalid path, and "templates" is a constant.
		panic(err)
	}
	return sub
}
