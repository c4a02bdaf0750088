package feeds

import "io"

// SetOpen replaces how the service reads a file's rows (tests that drive
// the engine from their own rows).
func SetOpen(s *Service, fn func(r io.Reader, m Mapping) (RowSource, error)) { s.open = fn }
