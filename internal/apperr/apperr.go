// Package apperr defines Orderly's application error: a stable code, a message
// a person can act on, and per-field details for input errors. Domain packages
// return these; the web package maps each code to an HTTP status in one place.
package apperr

import (
	"errors"
	"fmt"
)

// Code classifies an error. Codes are part of the public API: clients switch on
// them, so they never change meaning.
type Code string

const (
	Invalid         Code = "invalid"         // the input is wrong; FieldErrors say where
	NotFound        Code = "not_found"       // the thing named does not exist
	Conflict        Code = "conflict"        // the request clashes with current state (duplicate, wrong state)
	Unavailable     Code = "unavailable"     // not enough stock, or a dependency is down
	Forbidden       Code = "forbidden"       // authenticated, but not allowed
	Unauthenticated Code = "unauthenticated" // no valid credentials
	TooMany         Code = "too_many"        // throttled; try again later
	Internal        Code = "internal"        // a bug or an unexpected failure
)

// FieldError names one bad input field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	Value   any    `json:"value,omitempty"`
}

// Error is an application error.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
	Err     error // wrapped cause, never shown to clients
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error with the given code and a formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an error with the given code that wraps cause.
func Wrap(cause error, code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: cause}
}

// InvalidField returns an Invalid error about one field.
func InvalidField(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Code: Invalid, Message: field + ": " + msg, Fields: []FieldError{{Field: field, Message: msg}}}
}

// CodeOf returns the code of the first *Error in err's chain, or Internal.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Is reports whether err carries the given code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }

// Fields collects field errors; Err returns nil when none were added.
type Fields struct{ list []FieldError }

// Add records a problem with one field.
func (f *Fields) Add(field, format string, args ...any) {
	f.list = append(f.list, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns an Invalid error listing every field problem, or nil.
func (f *Fields) Err() error {
	if len(f.list) == 0 {
		return nil
	}
	msg := f.list[0].Field + ": " + f.list[0].Message
	if len(f.list) > 1 {
		msg = fmt.Sprintf("%s (and %d more)", msg, len(f.list)-1)
	}
	return &Error{Code: Invalid, Message: msg, Fields: f.list}
}
