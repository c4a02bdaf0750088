package web

import "net/http"

// middleware wraps the mux with the cross-cutting layers, outermost first.
func (s *Server) middleware(h http.Handler) http.Handler {
	return s.authenticate(h)
}
