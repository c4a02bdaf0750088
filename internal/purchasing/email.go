package purchasing

import (
	"fmt"
	"strings"

	"github.com/orderly-oms/orderly/internal/locale"
)

// poTexts are the words of a PO email in one language. The CSV attachment's
// header stays in English in every language: it is read back by the reply
// upload (docs/purchasing.md).
type poTexts struct {
	subject  string // PO number, lines
	heading  string // PO number, supplier name
	shipTo   string // order, name, line 1, postal code, city, country
	line     string // PO line id, quantity, supplier SKU, SKU, title, unit cost
	total    string // total cost
	answerBy string // deadline
	footer   string
}

var poLocales = map[string]poTexts{
	locale.English: {
		subject:  "Purchase order %s (%d lines)",
		heading:  "Purchase order %s for %s",
		shipTo:   "Order %d, ship to: %s, %s, %s %s, %s",
		line:     "  line %d: %d x %s (%s) %s at %s",
		total:    "Total cost: %s",
		answerBy: "Please accept or reject each line by %s.",
		footer:   "The attached CSV lists every line; fill in accepted_qty, rejected_qty and reason and upload it in the supplier console to answer.",
	},
	locale.BrazilianPortuguese: {
		subject:  "Pedido de compra %s (%d linhas)",
		heading:  "Pedido de compra %s para %s",
		shipTo:   "Pedido %d, enviar para: %s, %s, %s %s, %s",
		line:     "  linha %d: %d x %s (%s) %s a %s",
		total:    "Custo total: %s",
		answerBy: "Aceite ou recuse cada linha até %s.",
		footer:   "O CSV anexo lista todas as linhas; preencha accepted_qty, rejected_qty e reason e envie-o no portal do fornecedor para responder.",
	},
	locale.Italian: {
		subject:  "Ordine d'acquisto %s (%d righe)",
		heading:  "Ordine d'acquisto %s per %s",
		shipTo:   "Ordine %d, spedire a: %s, %s, %s %s, %s",
		line:     "  riga %d: %d x %s (%s) %s a %s",
		total:    "Costo totale: %s",
		answerBy: "Accettate o rifiutate ogni riga entro il %s.",
		footer:   "Il CSV allegato elenca tutte le righe; compilate accepted_qty, rejected_qty e reason e caricatelo nel portale fornitori per rispondere.",
	},
}

// emailSubject and emailText write a PO email in the supplier's language
// (f.Locale; English when unset), amounts and the answer deadline formatted
// for it, the deadline in the supplier's time zone.
func emailSubject(f Fulfilment, d PODocument) string {
	return fmt.Sprintf(poLocales[locale.Match(f.Locale)].subject, d.Number, docLines(d))
}

func emailText(f Fulfilment, d PODocument) string {
	loc := locale.Match(f.Locale)
	t := poLocales[loc]
	var b strings.Builder
	fmt.Fprintf(&b, t.heading+"\n\n", d.Number, d.Supplier.Name)
	for _, o := range d.Orders {
		a := o.ShipTo
		fmt.Fprintf(&b, t.shipTo+"\n", o.OrderID, a.Name, a.Line1, a.PostalCode, a.City, a.Country)
		for _, l := range o.Lines {
			fmt.Fprintf(&b, t.line+"\n", l.LineID, l.Quantity, l.SupplierSKU, l.SKU, l.Title, locale.Money(l.UnitCost, loc))
		}
	}
	fmt.Fprintf(&b, "\n"+t.total+"\n", locale.Money(d.TotalCost, loc))
	if d.AnswerBy != nil {
		at := d.AnswerBy.In(location(f.Timezone))
		fmt.Fprintf(&b, t.answerBy+"\n", locale.DateTime(at, loc)+" "+at.Format("MST"))
	}
	b.WriteString("\n" + t.footer + "\n")
	return b.String()
}
