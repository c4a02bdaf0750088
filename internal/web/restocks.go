package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/orderly-oms/orderly/internal/apperr"
	"github.com/orderly-oms/orderly/internal/auth"
	"github.com/orderly-oms/orderly/internal/restocks"
)

// Restock questions (docs/out-of-stock.md): Orderly asks the suppliers of a
// backordered SKU when it comes back. Staff list them and may answer for a
// supplier (purchasing permissions); a supplier lists and answers its own,
// through the API and its console. Every supplier handler takes the supplier
// from the caller: another supplier's question is "not found".

func (s *Server) registerRestocks() {
	if s.cfg.Restocks == nil {
		s.cfg.Restocks = restocks.New(s.cfg.DB, s.cfg.Inventory, s.cfg.Orders, s.now, restocks.Options{Logger: s.log})
	}
	staff := []string{"Restock questions"}
	operation(s, huma.Operation{OperationID: "list-restock-questions", Method: http.MethodGet, Path: "/restock-questions",
		Summary: "List restock questions to suppliers", Tags: staff,
		Description: "Questions Orderly asked suppliers about backordered SKUs with no known restock date, newest first, " +
			"with the units and orders waiting now."},
		auth.PurchasingRead, s.listRestockQuestions)
	operation(s, huma.Operation{OperationID: "get-restock-question", Method: http.MethodGet, Path: "/restock-questions/{id}",
		Summary: "One restock question", Tags: staff},
		auth.PurchasingRead, s.getRestockQuestion)
	operation(s, huma.Operation{OperationID: "answer-restock-question", Method: http.MethodPost, Path: "/restock-questions/{id}/answer",
		Summary: "Answer a restock question for the supplier", Tags: staff,
		Description: "As the supplier would: a date sets the expected date of the waiting lines and tells their customers " +
			"(order.restock_expected); discontinued and unknown are recorded."},
		auth.PurchasingWrite, s.answerRestockQuestion)

	portal := []string{"Supplier portal"}
	operation(s, huma.Operation{OperationID: "list-own-restock-questions", Method: http.MethodGet, Path: "/supplier/restock-questions",
		Summary: "Your restock questions (supplier users)", Tags: portal,
		Description: "Our questions to you about SKUs customers wait for: when will each be back in stock?"},
		auth.SupplierPortal, s.listOwnRestockQuestions)
	operation(s, huma.Operation{OperationID: "answer-own-restock-question", Method: http.MethodPost,
		Path: "/supplier/restock-questions/{id}/answer", Summary: "Answer a restock question", Tags: portal,
		Description: "A date (expected_on, YYYY-MM-DD), or discontinued, or unknown. 404 for another supplier's question; " +
			"409 when it was already answered."},
		auth.SupplierPortal, s.answerOwnRestockQuestion)

	s.page("GET /console/restock-questions", auth.PurchasingRead, s.restocksPage)
	s.page("POST /console/restock-questions/{id}/answer", auth.PurchasingWrite, s.restocksAnswer)
	s.page("GET /console/supplier/restock-questions", auth.SupplierPortal, s.portalRestocksPage)
	s.page("POST /console/supplier/restock-questions/{id}/answer", auth.SupplierPortal, s.portalRestocksAnswer)
}

// RestockQuestion and RestockAnswer are the restocks types under their API
// names (huma names schemas by type).
type (
	RestockQuestion restocks.Question
	RestockAnswer   restocks.AnswerInput
)

type restockQuestionsInput struct {
	ListParams
	Status string `query:"status" enum:"open,answered,closed" doc:"Only questions in this status"`
}

type restockQuestionsStaffInput struct {
	restockQuestionsInput
	SupplierID int64 `query:"supplier_id" doc:"Only this supplier's questions"`
}

func (s *Server) restockPage(ctx context.Context, in *restockQuestionsInput, supplierID int64) (*ListOutput[RestockQuestion], error) {
	var before int64
	if err := DecodeCursor(in.After, &before); err != nil {
		return nil, err
	}
	list, more, err := s.cfg.Restocks.List(ctx, restocks.Filter{SupplierID: supplierID, Status: restocks.Status(in.Status),
		Before: before, Limit: in.Limit})
	if err != nil {
		return nil, err
	}
	out := &ListOutput[RestockQuestion]{Body: Page[RestockQuestion]{Items: []RestockQuestion{}}}
	for _, q := range list {
		out.Body.Items = append(out.Body.Items, RestockQuestion(q))
	}
	if more && len(list) > 0 {
		out.Body.Next = EncodeCursor(list[len(list)-1].ID)
	}
	return out, nil
}

func (s *Server) listRestockQuestions(ctx context.Context, in *restockQuestionsStaffInput) (*ListOutput[RestockQuestion], error) {
	return s.restockPage(ctx, &in.restockQuestionsInput, in.SupplierID)
}

func (s *Server) listOwnRestockQuestions(ctx context.Context, in *restockQuestionsInput) (*ListOutput[RestockQuestion], error) {
	sup, err := apiSupplier(ctx)
	if err != nil {
		return nil, err
	}
	return s.restockPage(ctx, in, sup)
}

type restockQuestionIDInput struct {
	ID int64 `path:"id" minimum:"1"`
}

type restockQuestionOutput struct{ Body RestockQuestion }

func (s *Server) getRestockQuestion(ctx context.Context, in *restockQuestionIDInput) (*restockQuestionOutput, error) {
	q, err := s.cfg.Restocks.Get(ctx, 0, in.ID)
	if err != nil {
		return nil, err
	}
	return &restockQuestionOutput{Body: RestockQuestion(*q)}, nil
}

type restockAnswerInput struct {
	ID   int64 `path:"id" minimum:"1"`
	Body RestockAnswer
}

func (s *Server) answerRestockQuestion(ctx context.Context, in *restockAnswerInput) (*restockQuestionOutput, error) {
	q, err := s.cfg.Restocks.Answer(ctx, 0, in.ID, restocks.AnswerInput(in.Body))
	if err != nil {
		return nil, err
	}
	return &restockQuestionOutput{Body: RestockQuestion(*q)}, nil
}

func (s *Server) answerOwnRestockQuestion(ctx context.Context, in *restockAnswerInput) (*restockQuestionOutput, error) {
	sup, err := apiSupplier(ctx)
	if err != nil {
		return nil, err
	}
	q, err := s.cfg.Restocks.Answer(ctx, sup, in.ID, restocks.AnswerInput(in.Body))
	if err != nil {
		return nil, err
	}
	return &restockQuestionOutput{Body: RestockQuestion(*q)}, nil
}

// restocksView is the questions page of staff and of a supplier.
type restocksView struct {
	Staff     bool   // staff: every supplier's, with the supplier's name
	Action    string // the answer form's path prefix
	Filter    string // "", "open", "answered", "closed"
	Questions []restocks.Question
	Errors    map[int64]string // by question: the last answer's problem
	Min       string           // the earliest restock day a form accepts
}

func (s *Server) renderRestocks(w http.ResponseWriter, r *http.Request, status int, supplierID int64, v *restocksView) {
	v.Filter = r.URL.Query().Get("filter")
	if v.Filter == "" && r.Method == http.MethodGet && r.URL.Query().Get("all") == "" {
		v.Filter = string(restocks.StatusOpen)
	}
	switch restocks.Status(v.Filter) {
	case restocks.StatusOpen, restocks.StatusAnswered, restocks.StatusClosed:
	default:
		v.Filter = ""
	}
	var err error
	if v.Questions, _, err = s.cfg.Restocks.List(r.Context(), restocks.Filter{SupplierID: supplierID, Status: restocks.Status(v.Filter),
		Limit: 200}); err != nil {
		s.consoleError(w, r, err)
		return
	}
	v.Min = s.now().UTC().Format("2006-01-02")
	active := "portal-restocks"
	if v.Staff {
		active = "restocks"
	}
	s.render(w, r, status, "restocks.html", view{Title: "Restock questions", Active: active, Data: v})
}

func (s *Server) restocksPage(w http.ResponseWriter, r *http.Request) {
	s.renderRestocks(w, r, http.StatusOK, 0, &restocksView{Staff: true, Action: "/console/restock-questions"})
}

func (s *Server) portalRestocksPage(w http.ResponseWriter, r *http.Request) {
	sup, err := portalSupplier(r)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.renderRestocks(w, r, http.StatusOK, sup, &restocksView{Action: "/console/supplier/restock-questions"})
}

// restockAnswer reads the answer form and records it for supplierID (0:
// staff); a problem is shown next to the question's form.
func (s *Server) restockAnswer(w http.ResponseWriter, r *http.Request, supplierID int64, v *restocksView) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.consoleError(w, r, apperr.New(apperr.NotFound, "restock question %q not found", r.PathValue("id")))
		return
	}
	in := restocks.AnswerInput{Answer: restocks.Answer(r.PostFormValue("answer")), Note: r.PostFormValue("note")}
	if in.Answer == restocks.AnswerDate {
		in.ExpectedOn = r.PostFormValue("expected_on")
	}
	if _, err := s.cfg.Restocks.Answer(r.Context(), supplierID, id, in); err != nil {
		if statusFor(err) == http.StatusNotFound {
			s.consoleError(w, r, err)
			return
		}
		v.Errors = map[int64]string{id: errMessage(err)}
		s.renderRestocks(w, r, statusFor(err), supplierID, v)
		return
	}
	seeOther(w, r, v.Action, "restock-answered")
}

func (s *Server) restocksAnswer(w http.ResponseWriter, r *http.Request) {
	s.restockAnswer(w, r, 0, &restocksView{Staff: true, Action: "/console/restock-questions"})
}

func (s *Server) portalRestocksAnswer(w http.ResponseWriter, r *http.Request) {
	sup, err := portalSupplier(r)
	if err != nil {
		s.consoleError(w, r, err)
		return
	}
	s.restockAnswer(w, r, sup, &restocksView{Action: "/console/supplier/restock-questions"})
}
