package coupons

import "io"

// SetRand replaces the random source of codes (tests force collisions).
func (s *Service) SetRand(r io.Reader) { s.rand = r }

// PercentFraction is percentFraction, for tests.
var PercentFraction = percentFraction

// SetAfterComplete makes w call f once a push job has marked itself
// completed, before Work returns (River records the outcome after that).
func (w *PushWorker) SetAfterComplete(f func()) { w.afterComplete = f }
