// Package console holds the staff console's files: the html/template pages
// under templates/ and the static assets under static/ (one hand-written
// stylesheet and htmx 2.0.11, vendored from the htmx.org npm package with its
// licence beside it). Everything is embedded in the binary; there is no
// JavaScript build step. The page handlers live in package web
// (internal/web/console_*.go).
package console

import (
	"embed"
	"io/fs"
)

//go:embed templates/*.html
var templates embed.FS

//go:embed static
var static embed.FS

// Templates returns the page templates, named like "stock.html".
func Templates() fs.FS {
	sub, err := fs.Sub(templates, "templates")
	if err != nil {
		// fs.Sub only fails on an invalid path, and "templates" is a constant.
		panic(err)
	}
	return sub
}

// Static returns the static assets, named like "console.css".
func Static() fs.FS {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err)
	}
	return sub
}
