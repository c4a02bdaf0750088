package notify

import (
	"bytes"
	"errors"
	htmltemplate "html/template"
	"regexp"
	"strings"
	"text/template"

	"github.com/orderly-oms/orderly/internal/apperr"
)

// Data is what a template sees. Amounts and dates are already written for
// the message's locale (internal/locale): R$ 1.234,56, 23/11/2026. Instants
// (the day an order was placed or shipped, a deadline, a coupon's last day)
// are shown in the store's time zone (internal/storesettings); calendar days
// (the delivery window, restock and release dates stored as midnight UTC)
// are shown as they are.
type Data struct {
	Store    StoreData
	Customer CustomerData
	Order    OrderData
	// Link is the customer's signed order page (with the store's base URL).
	Link string
	// Lines are the lines the message is about (all of them for a
	// confirmation; the backordered, delayed, shipped or cancelled ones).
	Lines []LineData
	// Expected is the latest expected date among Lines (restock or release), "" if none.
	Expected string
	Shipment ShipmentData
	// Refund is the amount refunded by this cancellation, "" if none.
	Refund string
	// Coupon is the apology coupon; Coupon.Code is "" when there is none.
	Coupon CouponData
	// Choice is the customer's choice: "wait", "swap" or "cancel".
	Choice string
	// SwapTitle is the item the customer swapped to, when known.
	SwapTitle string
	// Date is the day of the event the message is about (the day the
	// parcel shipped, the order was delivered or cancelled) in the store's
	// time zone.
	Date string
	// Deadline is when the customer must accept the wait of the waiting
	// items, a date and time with its zone ("01/12/2026 23:00 UTC-03"),
	// after which they are cancelled and refunded; "" when the store does
	// not ask (docs/customer-page.md).
	Deadline string
}

// StoreData is the store's branding.
type StoreData struct {
	Name         string
	SupportEmail string
}

// CustomerData is the customer.
type CustomerData struct {
	Name  string
	Email string
}

// OrderData is the order.
type OrderData struct {
	Number    int64
	Total     string
	Placed    string
	Window    string // the promised delivery window, "" if none was promised
	Cancelled bool   // the whole order is cancelled
}

// LineData is one line of the message.
type LineData struct {
	Title    string
	SKU      string
	Quantity int    // the units the message is about
	Expected string // when waiting units are expected, "" if unknown
}

// ShipmentData is the parcel of a shipped notice.
type ShipmentData struct {
	Carrier        string
	TrackingNumber string
	TrackingURL    string
}

// CouponData is an apology coupon.
type CouponData struct {
	Code    string
	Value   string // "10%" or an amount
	Expires string // "" when it does not expire
}

// sampleData fills every field: a template that executes on it uses only
// known variables.
func sampleData() Data {
	return Data{
		Store:    StoreData{Name: "Sample Store", SupportEmail: "help@store.example"},
		Customer: CustomerData{Name: "Ana Lima", Email: "ana@example.com"},
		Order:    OrderData{Number: 1001, Total: "€1,234.56", Placed: "23 Nov 2026", Window: "25 Nov 2026 – 28 Nov 2026"},
		Link:     "https://orders.store.example/o/sample",
		Lines: []LineData{{Title: "Mug", SKU: "MUG-1", Quantity: 2, Expected: "30 Nov 2026"},
			{Title: "Tee", SKU: "TEE-1", Quantity: 1}},
		Expected:  "30 Nov 2026",
		Shipment:  ShipmentData{Carrier: "UPS", TrackingNumber: "1Z999AA10123456784", TrackingURL: "https://www.ups.com/track?tracknum=1Z999AA10123456784"},
		Refund:    "€12.00",
		Coupon:    CouponData{Code: "SORRY-ABC123", Value: "10%", Expires: "31 Dec 2026"},
		Choice:    "wait",
		SwapTitle: "Mug, blue",
		Date:      "24 Nov 2026",
		Deadline:  "26 Nov 2026, 14:05 UTC",
	}
}

// Message is a rendered notification.
type Message struct {
	Subject string `json:"subject"`
	Text    string `json:"text"`
	HTML    string `json:"html"`
}

// brand is what the layout needs of the settings.
type brand struct {
	Name, Logo, Support string
	Accent              htmltemplate.CSS
}

func brandOf(b Branding) brand {
	accent := b.AccentColor
	if !accentRE.MatchString(accent) {
		accent = "#0b6e4f"
	}
	return brand{Name: b.storeName(), Logo: b.LogoURL, Support: b.SupportEmail, Accent: htmltemplate.CSS(accent)}
}

// render executes t on d and wraps the body in the branded layout.
func render(t Template, d Data, loc string, b brand) (Message, error) {
	subject, err := execute("subject", t.Subject, d)
	if err != nil {
		return Message{}, err
	}
	body, err := execute("body", t.Body, d)
	if err != nil {
		return Message{}, err
	}
	subject = strings.Join(strings.Fields(subject), " ")
	body = tidy(body)
	words, ok := layoutText[loc]
	if !ok {
		words = layoutText["en"]
	}
	text := body + "\n\n-- \n" + b.Name
	if b.Support != "" {
		text += "\n" + words.Questions + " " + b.Support
	}
	var h bytes.Buffer
	err = layout.Execute(&h, map[string]any{"Lang": loc, "Subject": subject, "Store": b.Name, "Logo": b.Logo, "Accent": b.Accent,
		"Support": b.Support, "Body": bodyHTML(body), "Link": d.Link, "Button": words.Button, "Questions": words.Questions})
	if err != nil {
		return Message{}, wrap(err, "render the HTML layout")
	}
	return Message{Subject: subject, Text: text + "\n", HTML: h.String()}, nil
}

// execute runs one template: unknown variables fail, in every branch
// (checkFields), not only in those d takes.
func execute(name, src string, d Data) (string, error) {
	t, err := template.New(name).Option("missingkey=error").Parse(src)
	if err != nil {
		return "", templateError(name, err)
	}
	if err := checkFields(t); err != nil {
		return "", templateError(name, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, d); err != nil {
		return "", templateError(name, err)
	}
	return b.String(), nil
}

var (
	tmplErrRE  = regexp.MustCompile(`^template: \w+:(\d+)(?::\d+)?: (?:executing "\w+" at <([^>]*)>: )?(.*)$`)
	unknownRE  = regexp.MustCompile(`can't evaluate field (\w+) in type (\S+)`)
	knownNames = "Store.Name, Store.SupportEmail, Customer.Name, Customer.Email, Order.Number, Order.Total, Order.Placed, " +
		"Order.Window, Order.Cancelled, Link, Lines (each: Title, SKU, Quantity, Expected), Expected, Shipment.Carrier, " +
		"Shipment.TrackingNumber, Shipment.TrackingURL, Refund, Coupon.Code, Coupon.Value, Coupon.Expires, Choice, SwapTitle, Date, Deadline"
)

// templateError turns a text/template error into a field error that names
// the line and the variable.
func templateError(field string, err error) error {
	msg := err.Error()
	if m := tmplErrRE.FindStringSubmatch(msg); m != nil {
		line, at, what := m[1], m[2], m[3]
		if u := unknownRE.FindStringSubmatch(what); u != nil {
			what = "unknown variable {{" + at + "}}: " + u[2] + " has no field " + u[1] + " (known: " + knownNames + ")"
		} else if at != "" {
			what = "{{" + at + "}}: " + what
		}
		msg = "line " + line + ": " + what
	}
	return apperr.InvalidField(field, "%s", msg)
}

var blankRuns = regexp.MustCompile(`\n{3,}`)

// tidy trims trailing spaces and collapses runs of blank lines that
// conditionals leave behind.
func tidy(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.TrimSpace(blankRuns.ReplaceAllString(strings.Join(lines, "\n"), "\n\n"))
}

var urlRE = regexp.MustCompile(`https?://[^\s<>"]+[^\s<>".,;:!?)]`)

// bodyHTML writes the text body as HTML: paragraphs at blank lines, line
// breaks kept, links made clickable, everything else escaped.
func bodyHTML(text string) htmltemplate.HTML {
	var b strings.Builder
	for _, para := range strings.Split(text, "\n\n") {
		if strings.TrimSpace(para) == "" {
			continue
		}
		b.WriteString(`<p style="margin:0 0 16px">`)
		for i, line := range strings.Split(para, "\n") {
			if i > 0 {
				b.WriteString("<br>\n")
			}
			last := 0
			for _, m := range urlRE.FindAllStringIndex(line, -1) {
				b.WriteString(htmltemplate.HTMLEscapeString(line[last:m[0]]))
				u := htmltemplate.HTMLEscapeString(line[m[0]:m[1]])
				b.WriteString(`<a href="` + u + `">` + u + `</a>`)
				last = m[1]
			}
			b.WriteString(htmltemplate.HTMLEscapeString(line[last:]))
		}
		b.WriteString("</p>\n")
	}
	return htmltemplate.HTML(b.String())
}

var layout = htmltemplate.Must(htmltemplate.New("layout").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{{.Subject}}</title></head>
<body style="margin:0;padding:0;background:#f4f4f5;font-family:Helvetica,Arial,sans-serif;color:#18181b">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0"><tr><td align="center" style="padding:24px">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" style="max-width:600px;background:#ffffff;border-top:4px solid {{.Accent}}">
<tr><td style="padding:24px">{{if .Logo}}<img src="{{.Logo}}" alt="{{.Store}}" style="max-height:48px">{{else}}<strong style="font-size:20px">{{.Store}}</strong>{{end}}</td></tr>
<tr><td style="padding:0 24px;font-size:15px;line-height:1.5">{{.Body}}</td></tr>
{{if .Link}}<tr><td style="padding:8px 24px 24px"><a href="{{.Link}}" style="background:{{.Accent}};color:#ffffff;padding:12px 20px;text-decoration:none;border-radius:4px;display:inline-block">{{.Button}}</a></td></tr>{{end}}
<tr><td style="padding:24px;font-size:12px;color:#71717a;border-top:1px solid #e4e4e7">{{.Store}}{{if .Support}} · {{.Questions}} <a href="mailto:{{.Support}}">{{.Support}}</a>{{end}}</td></tr>
</table>
</td></tr></table>
</body>
</html>
`))

// ValidateTemplate checks a template before it is stored: both parts parse
// and execute on a sample with every variable, and neither is empty. The
// error names the part, the line and the unknown variable.
func ValidateTemplate(t Template) error {
	var errs []error
	if strings.TrimSpace(t.Subject) == "" {
		errs = append(errs, apperr.InvalidField("subject", "must not be empty"))
	} else if len(t.Subject) > 500 {
		errs = append(errs, apperr.InvalidField("subject", "must be at most 500 characters"))
	}
	if strings.TrimSpace(t.Body) == "" {
		errs = append(errs, apperr.InvalidField("body", "must not be empty"))
	} else if len(t.Body) > 20000 {
		errs = append(errs, apperr.InvalidField("body", "must be at most 20000 characters"))
	}
	if len(errs) == 0 {
		_, err := render(t, sampleData(), "en", brandOf(Branding{}))
		errs = append(errs, err)
	}
	return joinFields(errs...)
}

// joinFields merges apperr field errors into one Invalid error.
func joinFields(errs ...error) error {
	var fe apperr.Fields
	for _, err := range errs {
		var e *apperr.Error
		if err == nil {
			continue
		}
		if !errors.As(err, &e) {
			return err
		}
		for _, f := range e.Fields {
			fe.Add(f.Field, "%s", f.Message)
		}
	}
	return fe.Err()
}
