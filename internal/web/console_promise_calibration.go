package web

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/promise/learned"
)

// The calibration page: were the delivery promises kept? Promised against
// actual for delivered orders, overall, by supplier and by lane, over the
// last 30, 90 or 365 days (docs/promise.md, "Calibration").

func (s *Server) registerConsolePromiseCalibration() {
	s.page("GET /console/promise/calibration", auth.OrdersRead, s.promiseCalibrationPage)
}

type calibrationView struct {
	learned.Calibration
	Periods []int
}

// calibrationTable is one of the page's tables.
type calibrationTable struct {
	Title, Kind string
	Rows        []learned.Group
}

// Tables are the by-supplier and by-lane tables.
func (v calibrationView) Tables() []calibrationTable {
	return []calibrationTable{{"By supplier", "supplier", v.BySupplier}, {"By lane", "lane", v.ByLane}}
}

// Percent writes a rate as a percentage with one decimal.
func (calibrationView) Percent(r float64) string { return fmt.Sprintf("%.1f%%", 100*r) }

// DaysOf writes a number of days with two decimals.
func (calibrationView) DaysOf(d float64) string { return fmt.Sprintf("%.2f", d) }

func (s *Server) promiseCalibrationPage(w http.ResponseWriter, r *http.Request) {
	days := 90
	if q := r.URL.Query().Get("days"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil {
			s.consoleError(w, r, apperr.InvalidField("days", "the period must be 30, 90 or 365 days, not %q", q))
			return
		}
		days = n
	}
	c, err := learned.Calibrate(r.Context(), s.cfg.DB.R, s.now(), days)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "promise_calibration.html", view{Title: "Promise calibration", Active: "calibration",
		Data: calibrationView{Calibration: c, Periods: learned.CalibrationPeriods}})
}
