package coupons

import (
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// PushArgs is the job that pushes one coupon to every enabled storefront
// target. It is enqueued in the transaction that issues the coupon.
type PushArgs struct {
	CouponID int64 `json:"coupon_id"`
}

// Kind is the River job kind.
func (PushArgs) Kind() string { return "coupon_push" }

// InsertOpts makes the push unique per coupon while one is waiting, running
// or waiting to retry, so two instances never push the same coupon at once.
func (PushArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		MaxAttempts: 25,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
			rivertype.JobStateRetryable, rivertype.JobStateScheduled}},
	}
}
