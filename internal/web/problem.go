package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// Problem is an RFC 9457 problem document with Orderly's stable error code.
// Every API error, whether raised by a service or by request validation, is
// written as one of these.
type Problem struct {
	Type     string         `json:"type,omitempty" doc:"A URI naming the problem type" example:"https://orderly.dev/problems/conflict"`
	Title    string         `json:"title" doc:"A short summary of the problem type" example:"Conflict"`
	Status   int            `json:"status" doc:"HTTP status code" example:"409"`
	Detail   string         `json:"detail,omitempty" doc:"What went wrong, for a person" example:"sku: SKU \"MUG-01\" already exists"`
	Instance string         `json:"instance,omitempty" doc:"The request path"`
	Code     apperr.Code    `json:"code" doc:"Stable machine-readable code" enum:"invalid,not_found,conflict,unavailable,forbidden,unauthenticated,too_many,too_large,internal"`
	Errors   []FieldProblem `json:"errors,omitempty" doc:"Per-field details for invalid input"`
}

// FieldProblem names one bad input field.
type FieldProblem struct {
	Field   string `json:"field" doc:"Where the problem is: a body field path such as 'sku' or 'offers[1].cost', or 'query.limit'"`
	Message string `json:"message"`
	Value   any    `json:"value,omitempty"`
}

func (p *Problem) Error() string  { return p.Detail }
func (p *Problem) GetStatus() int { return p.Status }

// ContentType makes problems use the RFC 9457 media type.
func (p *Problem) ContentType(ct string) string {
	if ct == "application/json" {
		return "application/problem+json"
	}
	return ct
}

// TooLarge is the code for a request body over the size limit.
const TooLarge apperr.Code = "too_large"

var statusOf = map[apperr.Code]int{
	apperr.Invalid:         http.StatusUnprocessableEntity,
	apperr.NotFound:        http.StatusNotFound,
	apperr.Conflict:        http.StatusConflict,
	apperr.Unavailable:     http.StatusConflict,
	apperr.Forbidden:       http.StatusForbidden,
	apperr.Unauthenticated: http.StatusUnauthorized,
	apperr.TooMany:         http.StatusTooManyRequests,
	apperr.Internal:        http.StatusInternalServerError,
	TooLarge:               http.StatusRequestEntityTooLarge,
}

// codeOfStatus is used for errors huma raises itself (validation, parsing).
func codeOfStatus(status int) apperr.Code {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return apperr.Invalid
	case http.StatusNotFound:
		return apperr.NotFound
	case http.StatusConflict:
		return apperr.Conflict
	case http.StatusUnauthorized:
		return apperr.Unauthenticated
	case http.StatusForbidden:
		return apperr.Forbidden
	case http.StatusRequestEntityTooLarge:
		return TooLarge
	case http.StatusTooManyRequests:
		return apperr.TooMany
	}
	if status >= 500 {
		return apperr.Internal
	}
	return apperr.Invalid
}

// newProblem builds a problem document for a status, message and details.
func newProblem(status int, code apperr.Code, detail string, fields []FieldProblem) *Problem {
	return &Problem{
		Type:   "https://orderly.dev/problems/" + string(code),
		Title:  http.StatusText(status),
		Status: status,
		Detail: detail,
		Code:   code,
		Errors: fields,
	}
}

func init() {
	// Errors huma raises itself (malformed JSON, schema validation, body too
	// large) become Problems too, with field paths relative to the body.
	huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
		var fields []FieldProblem
		for _, e := range errs {
			if e == nil {
				continue
			}
			var d *huma.ErrorDetail
			if errors.As(e, &d) {
				fields = append(fields, FieldProblem{Field: strings.TrimPrefix(d.Location, "body."), Message: d.Message, Value: d.Value})
				continue
			}
			fields = append(fields, FieldProblem{Message: e.Error()})
		}
		detail := msg
		if len(fields) > 0 && (status == http.StatusUnprocessableEntity || status == http.StatusBadRequest) {
			f := fields[0]
			if f.Field != "" {
				detail = msg + ": " + f.Field + ": " + f.Message
			} else {
				detail = msg + ": " + f.Message
			}
		}
		return newProblem(status, codeOfStatus(status), detail, fields)
	}
}

// problemFrom converts any error a service returned into a Problem. Internal
// errors are logged by the caller and shown without their cause.
func problemFrom(err error) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	var se huma.StatusError
	if errors.As(err, &se) {
		return newProblem(se.GetStatus(), codeOfStatus(se.GetStatus()), se.Error(), nil)
	}
	var ae *apperr.Error
	if !errors.As(err, &ae) {
		return newProblem(http.StatusInternalServerError, apperr.Internal, "internal error", nil)
	}
	status, ok := statusOf[ae.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if ae.Code == apperr.Internal {
		return newProblem(status, apperr.Internal, "internal error", nil)
	}
	var fields []FieldProblem
	for _, f := range ae.Fields {
		fields = append(fields, FieldProblem{Field: f.Field, Message: f.Message, Value: f.Value})
	}
	return newProblem(status, ae.Code, ae.Message, fields)
}
