package web

import "net/http"

// middleware wraps the mux with the cross-cutting layers, outermost first.
func (s *Server) middleware(h http.Handler) http.Handler {
	return h
}

// requirePage wraps a console handler with its permission check.
func (s *Server) requirePage(perm interface{}, h http.HandlerFunc) http.Handler {
	return h
}
