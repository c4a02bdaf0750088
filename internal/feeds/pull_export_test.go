package feeds

import (
	"context"
	"time"
)

// SetPullSleep replaces the wait between pull attempts.
func SetPullSleep(s *Service, fn func(ctx context.Context, d time.Duration) error) { s.sleep = fn }
