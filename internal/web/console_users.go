package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/suppliers"
)

func (s *Server) registerConsoleUsers() {
	s.page("GET /console/users", auth.UsersRead, s.usersPage)
	s.page("POST /console/users", auth.UsersWrite, s.usersCreate)
	s.page("POST /console/users/{id}/role", auth.UsersWrite, s.usersChangeRole)
	s.page("POST /console/users/{id}/disable", auth.UsersWrite, s.usersSetDisabled(true))
	s.page("POST /console/users/{id}/enable", auth.UsersWrite, s.usersSetDisabled(false))
	s.page("GET /console/tokens", auth.TokensWrite, s.tokensPage)
	s.page("POST /console/tokens", auth.TokensWrite, s.tokensCreate)
	s.page("POST /console/tokens/{id}/revoke", auth.TokensWrite, s.tokensRevoke)
}

type userRow struct {
	auth.User
	Self bool
}

type userForm struct {
	Email string
	Name  string
	Role  string
}

type usersView struct {
	Users    []userRow
	Roles    []auth.Role
	CanWrite bool
	// MinPassword is the shortest password the service accepts.
	MinPassword int
	Form        userForm
	Errors      map[string]string
	After       string
	Next        string
}

// usersPage lists users by id, a page at a time.
func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadUsers(r, r.URL.Query().Get("after"))
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	if isHTMX(r) {
		s.renderPartial(w, r, "users.html", "rows", v)
		return
	}
	s.render(w, r, http.StatusOK, "users.html", view{Title: "Users", Active: "users", Data: v})
}

func (s *Server) loadUsers(r *http.Request, after string) (*usersView, error) {
	me := auth.FromContext(r.Context())
	var afterID int64
	if err := DecodeCursor(after, &afterID); err != nil {
		return nil, err
	}
	users, err := s.cfg.Auth.ListUsers(r.Context(), auth.UserFilter{AfterID: afterID, Limit: consolePageSize + 1})
	if err != nil {
		return nil, err
	}
	v := &usersView{Roles: auth.StaffRoles, CanWrite: me.Can(auth.UsersWrite), MinPassword: auth.MinPasswordLength, After: after,
		Errors: map[string]string{}, Form: userForm{Role: string(auth.ReadOnly)}}
	if len(users) > consolePageSize {
		users = users[:consolePageSize]
		v.Next = EncodeCursor(users[len(users)-1].ID)
	}
	for _, u := range users {
		v.Users = append(v.Users, userRow{User: u, Self: me.Kind == auth.KindStaff && me.ID == u.ID})
	}
	return v, nil
}

// usersFailed re-renders the users page with the form and the error shown
// next to the field it is about.
func (s *Server) usersFailed(w http.ResponseWriter, r *http.Request, form userForm, err error, formField string) {
	v, lerr := s.loadUsers(r, "")
	if lerr != nil {
		s.consoleError(w, r, lerr)
		return
	}
	if form.Role != "" {
		v.Form = form
	}
	if formField == "" {
		v.Errors[""] = errMessage(err)
	} else {
		v.Errors = formErrors(err, formField)
	}
	s.render(w, r, statusFor(err), "users.html", view{Title: "Users", Active: "users", Data: v})
}

func (s *Server) usersCreate(w http.ResponseWriter, r *http.Request) {
	form := userForm{
		Email: strings.TrimSpace(r.PostFormValue("email")),
		Name:  strings.TrimSpace(r.PostFormValue("name")),
		Role:  r.PostFormValue("role"),
	}
	_, err := s.cfg.Auth.CreateUser(r.Context(), auth.NewUser{
		Email: form.Email, Name: form.Name, Role: auth.Role(form.Role), Password: r.PostFormValue("password"),
	})
	if err != nil {
		s.usersFailed(w, r, form, err, "create")
		return
	}
	seeOther(w, r, "/console/users", "user-created")
}

func (s *Server) usersChangeRole(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	role := auth.Role(r.PostFormValue("role"))
	if _, err := s.cfg.Auth.UpdateUser(r.Context(), id, auth.UserUpdate{Role: &role}); err != nil {
		s.usersFailed(w, r, userForm{}, err, "")
		return
	}
	seeOther(w, r, "/console/users", "role-changed")
}

func (s *Server) usersSetDisabled(disabled bool) http.HandlerFunc {
	done := "user-enabled"
	if disabled {
		done = "user-disabled"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := pathID(r, "id")
		if err != nil {
			s.consoleError(w, r, err)
			return
		}
		if _, err := s.cfg.Auth.UpdateUser(r.Context(), id, auth.UserUpdate{Disabled: &disabled}); err != nil {
			s.usersFailed(w, r, userForm{}, err, "")
			return
		}
		seeOther(w, r, "/console/users", done)
	}
}

type tokenRow struct {
	auth.Token
	Revoked bool
	Expired bool
	// Supplier is the name of a supplier token's supplier.
	Supplier string
}

type tokenForm struct {
	Name     string
	Role     string
	Supplier string // a supplier id: a supplier token
}

type tokensView struct {
	Tokens       []tokenRow
	Roles        []auth.Role
	Suppliers    []supplierOption // for supplier tokens
	Form         tokenForm
	Errors       map[string]string
	NewToken     string
	NewTokenName string
	After        string
	Next         string
}

func (s *Server) tokensPage(w http.ResponseWriter, r *http.Request) {
	v, err := s.loadTokens(r, r.URL.Query().Get("after"))
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	if isHTMX(r) {
		s.renderPartial(w, r, "tokens.html", "rows", v)
		return
	}
	s.render(w, r, http.StatusOK, "tokens.html", view{Title: "API tokens", Active: "tokens", Data: v})
}

func (s *Server) loadTokens(r *http.Request, after string) (*tokensView, error) {
	var afterID int64
	if err := DecodeCursor(after, &afterID); err != nil {
		return nil, err
	}
	tokens, err := s.cfg.Auth.ListTokens(r.Context(), afterID, consolePageSize+1)
	if err != nil {
		return nil, err
	}
	v := &tokensView{Roles: auth.StaffRoles, After: after, Errors: map[string]string{}, Form: tokenForm{Role: string(auth.ReadOnly)}}
	sups, err := s.cfg.Suppliers.ListSuppliers(r.Context(), suppliers.SupplierFilter{Limit: 500})
	if err != nil {
		return nil, err
	}
	names := map[int64]string{}
	for _, sup := range sups {
		names[sup.ID] = sup.Name
		v.Suppliers = append(v.Suppliers, supplierOption{ID: sup.ID, Name: sup.Name})
	}
	if len(tokens) > consolePageSize {
		tokens = tokens[:consolePageSize]
		v.Next = EncodeCursor(tokens[len(tokens)-1].ID)
	}
	now := s.now()
	for _, t := range tokens {
		row := tokenRow{Token: t, Revoked: t.RevokedAt != nil, Expired: t.ExpiresAt != nil && !now.Before(*t.ExpiresAt)}
		if t.SupplierID != nil {
			row.Supplier = names[*t.SupplierID]
			if row.Supplier == "" {
				row.Supplier = fmt.Sprintf("supplier %d", *t.SupplierID)
			}
		}
		v.Tokens = append(v.Tokens, row)
	}
	return v, nil
}

// tokensCreate creates a token and shows its secret in this response. It is
// the one console form that does not redirect after success: the secret is
// shown once and is not stored anywhere it could be shown from again.
func (s *Server) tokensCreate(w http.ResponseWriter, r *http.Request) {
	form := tokenForm{Name: strings.TrimSpace(r.PostFormValue("name")), Role: r.PostFormValue("role"), Supplier: r.PostFormValue("supplier_id")}
	in := auth.NewToken{Name: form.Name, Role: auth.Role(form.Role)}
	var err error
	if form.Supplier != "" {
		// A supplier token: its role is supplier, whatever the role field says.
		in.Role = auth.Supplier
		if in.SupplierID, err = strconv.ParseInt(form.Supplier, 10, 64); err != nil || in.SupplierID <= 0 {
			err = apperr.InvalidField("supplier_id", "choose a supplier from the list")
		}
	}
	var secret string
	var tok *auth.Token
	if err == nil {
		secret, tok, err = s.cfg.Auth.CreateToken(r.Context(), in)
	}
	v, lerr := s.loadTokens(r, "")
	if lerr != nil {
		s.consoleError(w, r, lerr)
		return
	}
	if err != nil {
		v.Form = form
		v.Errors = formErrors(err, "create")
		s.render(w, r, statusFor(err), "tokens.html", view{Title: "API tokens", Active: "tokens", Data: v})
		return
	}
	v.NewToken, v.NewTokenName = secret, tok.Name
	s.render(w, r, http.StatusCreated, "tokens.html", view{Title: "API tokens", Active: "tokens", Data: v})
}

func (s *Server) tokensRevoke(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	if _, err := s.cfg.Auth.RevokeToken(r.Context(), id); err != nil {
		v, lerr := s.loadTokens(r, "")
		if lerr != nil {
			s.consoleError(w, r, lerr)
			return
		}
		v.Errors[""] = errMessage(err)
		s.render(w, r, statusFor(err), "tokens.html", view{Title: "API tokens", Active: "tokens", Data: v})
		return
	}
	seeOther(w, r, "/console/tokens", "token-revoked")
}
