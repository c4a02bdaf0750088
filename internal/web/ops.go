package web

// registerOps registers health, readiness and metrics routes.
func (s *Server) registerOps() {}
