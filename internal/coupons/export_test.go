package coupons

import "io"

// SetRand replaces the random source of codes (tests force collisions).
func (s *Service) SetRand(r io.Reader) { s.rand = r }

// PercentFraction is percentFraction, for tests.
var PercentFraction = percentFraction
