package web

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/auth"
)

// meBody describes the caller.
type meBody struct {
	Kind        auth.Kind         `json:"kind" enum:"staff,token,supplier" doc:"What sort of caller: a console user, an API token, or a supplier user"`
	ID          int64             `json:"id" doc:"User id, or token id for a token"`
	Name        string            `json:"name" doc:"Email, or token name"`
	Role        auth.Role         `json:"role" enum:"owner,admin,operations,support,finance,read_only,supplier"`
	SupplierID  int64             `json:"supplier_id,omitempty"`
	Permissions []auth.Permission `json:"permissions" nullable:"false"`
}

type meOutput struct{ Body meBody }

type userOutput struct{ Body *auth.User }

type userIDInput struct {
	ID int64 `path:"id" minimum:"1"`
}

type userListInput struct {
	ListParams
	Role       string `query:"role" enum:"owner,admin,operations,support,finance,read_only,supplier" doc:"Only users with this role"`
	SupplierID int64  `query:"supplier_id" minimum:"0" doc:"Only this supplier's users"`
}

type userCreateInput struct {
	Body struct {
		Email      string    `json:"email" maxLength:"254" doc:"Login email; unique regardless of case"`
		Name       string    `json:"name" maxLength:"200"`
		Role       auth.Role `json:"role" enum:"owner,admin,operations,support,finance,read_only,supplier"`
		SupplierID int64     `json:"supplier_id,omitempty" doc:"Required for role supplier: the supplier this user belongs to"`
		Password   string    `json:"password" maxLength:"1024" doc:"At least 10 characters, not the email"`
	}
}

type userUpdateInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Name     *string    `json:"name,omitempty" maxLength:"200"`
		Role     *auth.Role `json:"role,omitempty" enum:"owner,admin,operations,support,finance,read_only"`
		Disabled *bool      `json:"disabled,omitempty" doc:"A disabled user cannot log in and its sessions end at once"`
	}
}

type passwordInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body struct {
		Password string `json:"password" maxLength:"1024" doc:"At least 10 characters, not the email"`
	}
}

type ownPasswordInput struct {
	Body struct {
		CurrentPassword string `json:"current_password" maxLength:"1024"`
		NewPassword     string `json:"new_password" maxLength:"1024" doc:"At least 10 characters, not the email"`
	}
}

type noContent struct{}

func (s *Server) registerUsers() {
	operation(s, huma.Operation{OperationID: "get-me", Method: http.MethodGet, Path: "/me",
		Summary: "Who am I", Description: "The caller's identity, role and permissions.", Tags: []string{"Auth"}},
		auth.Authenticated, s.getMe)
	operation(s, huma.Operation{OperationID: "change-own-password", Method: http.MethodPost, Path: "/me/password", DefaultStatus: http.StatusNoContent,
		Summary: "Change my password", Description: "For users logged in with a password (console session). A wrong current password " +
			"counts as a failed login. Ends the user's other sessions; the calling session continues under a new token.", Tags: []string{"Auth"}},
		auth.Authenticated, s.changeOwnPassword)
	operation(s, huma.Operation{OperationID: "list-users", Method: http.MethodGet, Path: "/users",
		Summary: "List users", Description: "Staff and supplier users in id order.", Tags: []string{"Users"}},
		auth.UsersRead, s.listUsers)
	operation(s, huma.Operation{OperationID: "create-user", Method: http.MethodPost, Path: "/users", DefaultStatus: http.StatusCreated,
		Summary: "Create a user", Description: "Creates a staff user, or a supplier user (role supplier with supplier_id). " +
			"Only owners can create owners.", Tags: []string{"Users"}},
		auth.UsersWrite, s.createUser)
	operation(s, huma.Operation{OperationID: "get-user", Method: http.MethodGet, Path: "/users/{id}",
		Summary: "Get a user", Tags: []string{"Users"}},
		auth.UsersRead, s.getUser)
	operation(s, huma.Operation{OperationID: "update-user", Method: http.MethodPatch, Path: "/users/{id}",
		Summary: "Change a user's name, role or disabled flag", Description: "Admins cannot change owners or make anyone owner; " +
			"the last active owner cannot be demoted or disabled. Role changes and disabling are audited.", Tags: []string{"Users"}},
		auth.UsersWrite, s.updateUser)
	operation(s, huma.Operation{OperationID: "set-user-password", Method: http.MethodPost, Path: "/users/{id}/password", DefaultStatus: http.StatusNoContent,
		Summary: "Set a user's password", Description: "Ends the user's existing console sessions.", Tags: []string{"Users"}},
		auth.UsersWrite, s.setUserPassword)
}

func (s *Server) getMe(ctx context.Context, _ *struct{}) (*meOutput, error) {
	p := auth.FromContext(ctx)
	out := &meOutput{Body: meBody{Kind: p.Kind, ID: p.ID, Name: p.Name, Role: p.Role, SupplierID: p.SupplierID, Permissions: []auth.Permission{}}}
	for _, perm := range auth.Permissions() {
		if p.Can(perm) {
			out.Body.Permissions = append(out.Body.Permissions, perm)
		}
	}
	return out, nil
}

func (s *Server) changeOwnPassword(ctx context.Context, in *ownPasswordInput) (*noContent, error) {
	if err := s.cfg.Auth.ChangeOwnPassword(ctx, in.Body.CurrentPassword, in.Body.NewPassword); err != nil {
		return nil, err
	}
	// The change ended every session of the user that began before it; keep
	// this one, under a new token.
	if err := s.sessions.RenewToken(ctx); err != nil {
		return nil, err
	}
	s.sessions.Put(ctx, sessionLoginAtKey, s.now().UTC().Truncate(time.Microsecond).UnixMicro())
	return &noContent{}, nil
}

func (s *Server) listUsers(ctx context.Context, in *userListInput) (*ListOutput[auth.User], error) {
	var after int64
	if err := DecodeCursor(in.After, &after); err != nil {
		return nil, err
	}
	users, err := s.cfg.Auth.ListUsers(ctx, auth.UserFilter{Role: auth.Role(in.Role), SupplierID: in.SupplierID, AfterID: after, Limit: in.Limit + 1})
	if err != nil {
		return nil, err
	}
	out := &ListOutput[auth.User]{Body: Page[auth.User]{Items: users}}
	if len(users) > in.Limit {
		out.Body.Items = users[:in.Limit]
		out.Body.Next = EncodeCursor(users[in.Limit-1].ID)
	}
	return out, nil
}

func (s *Server) createUser(ctx context.Context, in *userCreateInput) (*userOutput, error) {
	u, err := s.cfg.Auth.CreateUser(ctx, auth.NewUser{Email: in.Body.Email, Name: in.Body.Name, Role: in.Body.Role,
		SupplierID: in.Body.SupplierID, Password: in.Body.Password})
	if err != nil {
		return nil, err
	}
	return &userOutput{Body: u}, nil
}

func (s *Server) getUser(ctx context.Context, in *userIDInput) (*userOutput, error) {
	u, err := s.cfg.Auth.GetUser(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	return &userOutput{Body: u}, nil
}

func (s *Server) updateUser(ctx context.Context, in *userUpdateInput) (*userOutput, error) {
	u, err := s.cfg.Auth.UpdateUser(ctx, in.ID, auth.UserUpdate{Name: in.Body.Name, Role: in.Body.Role, Disabled: in.Body.Disabled})
	if err != nil {
		return nil, err
	}
	return &userOutput{Body: u}, nil
}

func (s *Server) setUserPassword(ctx context.Context, in *passwordInput) (*noContent, error) {
	if err := s.cfg.Auth.SetPassword(ctx, in.ID, in.Body.Password); err != nil {
		return nil, err
	}
	return &noContent{}, nil
}
