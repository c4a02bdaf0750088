package web

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/promise/learned"
)

// registerPromiseCalibration registers the calibration of delivery
// promises: promised against actual for delivered orders (docs/promise.md,
// "Calibration"). The console page is console_promise_calibration.go.
func (s *Server) registerPromiseCalibration() {
	operation(s, huma.Operation{OperationID: "get-promise-calibration", Method: http.MethodGet, Path: "/promise/calibration",
		Summary: "How well delivery promises were kept", Tags: []string{"Delivery promise"},
		Description: "Orders delivered in the last `days` days (30, 90 or 365) that carry a stored promise: how many " +
			"arrived on or before the promised latest day, the median and 90th-percentile slack (the end of the latest " +
			"day, midnight UTC, minus the delivery time, in days; negative when late), overall, by supplier and by lane " +
			"(the supplier's country → the destination country and region). 422 for another period."},
		auth.OrdersRead, s.getPromiseCalibration)
}

type promiseCalibrationInput struct {
	Days int `query:"days" default:"90" doc:"The period: orders delivered in the last 30, 90 or 365 days (no other value)"`
}

type promiseCalibrationOutput struct {
	Body learned.Calibration
}

func (s *Server) getPromiseCalibration(ctx context.Context, in *promiseCalibrationInput) (*promiseCalibrationOutput, error) {
	c, err := learned.Calibrate(ctx, s.cfg.DB.R, s.now(), in.Days)
	if err != nil {
		return nil, err
	}
	if c.BySupplier == nil {
		c.BySupplier = []learned.Group{}
	}
	if c.ByLane == nil {
		c.ByLane = []learned.Group{}
	}
	return &promiseCalibrationOutput{Body: c}, nil
}
