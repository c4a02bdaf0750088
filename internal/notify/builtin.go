package notify

// The built-in templates: a subject and a plain-text body per kind and
// locale, in text/template syntax over Data (render.go). The HTML version of
// a message is made from the body (paragraphs, links) inside the store's
// branded layout. The store overrides any of them in the console.

// Template is a subject and a body.
type Template struct {
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

var builtin = map[Kind]map[string]Template{
	KindConfirmed: {
		"en": {
			Subject: "Order {{.Order.Number}} confirmed – {{.Store.Name}}",
			Body: `Hello{{with .Customer.Name}} {{.}}{{end}},

thank you for your order {{.Order.Number}} of {{.Order.Total}}.
{{range .Lines}}
- {{.Quantity}} × {{.Title}}{{if .Expected}} (expected {{.Expected}}){{end}}{{end}}
{{if .Order.Window}}
Expected delivery: {{.Order.Window}}.
{{end}}
Follow your order here: {{.Link}}`,
		},
		"pt-BR": {
			Subject: "Pedido {{.Order.Number}} confirmado – {{.Store.Name}}",
			Body: `Olá{{with .Customer.Name}} {{.}}{{end}},

obrigado pelo seu pedido {{.Order.Number}} de {{.Order.Total}}.
{{range .Lines}}
- {{.Quantity}} × {{.Title}}{{if .Expected}} (previsto para {{.Expected}}){{end}}{{end}}
{{if .Order.Window}}
Entrega prevista: {{.Order.Window}}.
{{end}}
Acompanhe seu pedido aqui: {{.Link}}`,
		},
		"it": {
			Subject: "Ordine {{.Order.Number}} confermato – {{.Store.Name}}",
			Body: `Ciao{{with .Customer.Name}} {{.}}{{end}},

grazie per il tuo ordine {{.Order.Number}} di {{.Order.Total}}.
{{range .Lines}}
- {{.Quantity}} × {{.Title}}{{if .Expected}} (previsto il {{.Expected}}){{end}}{{end}}
{{if .Order.Window}}
Consegna prevista: {{.Order.Window}}.
{{end}}
Segui il tuo ordine qui: {{.Link}}`,
		},
	},
	KindBackordered: {
		"en": {
			Subject: "Order {{.Order.Number}}: some items are on backorder",
			Body: `Hello{{with .Customer.Name}} {{.}}{{end}},

some items of your order {{.Order.Number}} are not in stock right now:
{{range .Lines}}
- {{.Quantity}} × {{.Title}}: {{if .Expected}}expected back in stock on {{.Expected}}{{else}}we are asking our supplier for a date{{end}}{{end}}

You choose what happens next: wait for them, swap to a similar item that is in stock, or cancel them with a full refund.{{with .Deadline}} If we have not heard from you by {{.}}, we will cancel the waiting items and refund them.{{end}} Tell us on your order page: {{.Link}}`,
		},
		"pt-BR": {
			Subject: "Pedido {{.Order.Number}}: alguns itens estão em falta",
			Body: `Olá{{with .Customer.Name}} {{.}}{{end}},

alguns itens do seu pedido {{.Order.Number}} estão sem estoque no momento:
{{range .Lines}}
- {{.Quantity}} × {{.Title}}: {{if .Expected}}previsão de reposição em {{.Expected}}{{else}}estamos pedindo uma data ao fornecedor{{end}}{{end}}

Você escolhe o que fazer: esperar, trocar por um item parecido em estoque ou cancelar com reembolso total.{{with .Deadline}} Se não tivermos sua resposta até {{.}}, cancelaremos os itens em espera e faremos o reembolso.{{end}} Diga-nos na página do seu pedido: {{.Link}}`,
		},
		"it": {
			Subject: "Ordine {{.Order.Number}}: alcuni articoli non sono disponibili",
			Body: `Ciao{{with .Customer.Name}} {{.}}{{end}},

alcuni articoli del tuo ordine {{.Order.Number}} al momento non sono disponibili:
{{range .Lines}}
- {{.Quantity}} × {{.Title}}: {{if .Expected}}di nuovo disponibile il {{.Expected}}{{else}}stiamo chiedendo una data al fornitore{{end}}{{end}}

Scegli tu: aspettare, sostituirli con un articolo simile disponibile o annullarli con il rimborso completo.{{with .Deadline}} Se non riceviamo una tua risposta entro il {{.}}, annulleremo gli articoli in attesa e li rimborseremo.{{end}} Dicci cosa preferisci nella pagina del tuo ordine: {{.Link}}`,
		},
	},
	KindPreordered: {
		"en": {
			Subject: "Pre-order {{.Order.Number}} confirmed – {{.Store.Name}}",
			Body: `Hello{{with .Customer.Name}} {{.}}{{end}},

your pre-order is confirmed:
{{range .Lines}}
- {{.Quantity}} × {{.Title}}{{if .Expected}}: released on {{.Expected}}{{end}}{{end}}

We ship as soon as it is released. Follow your order here: {{.Link}}`,
		},
		"pt-BR": {
			Subject: "Pré-venda {{.Order.Number}} confirmada – {{.Store.Name}}",
			Body: `Olá{{with .Customer.Name}} {{.}}{{end}},

sua pré-venda está confirmada:
{{range .Lines}}
- {{.Quantity}} × {{.Title}}{{if .Expected}}: lançamento em {{.Expected}}{{end}}{{end}}

Enviamos assim que for lançado. Acompanhe seu pedido aqui: {{.Link}}`,
		},
		"it": {
			Subject: "Preordine {{.Order.Number}} confermato – {{.Store.Name}}",
			Body: `Ciao{{with .Customer.Name}} {{.}}{{end}},

il tuo preordine è confermato:
{{range .Lines}}
- {{.Quantity}} × {{.Title}}{{if .Expected}}: in uscita il {{.Expected}}{{end}}{{end}}

Lo spediamo appena esce. Segui il tuo ordine qui: {{.Link}}`,
		},
	},
	KindDelayed: {
		"en": {
			Subject: "Order {{.Order.Number}} is delayed",
			Body: `Hello{{with .Customer.Name}} {{.}}{{end}},

we are sorry: your order {{.Order.Number}} will reach you later than we promised.{{if .Expected}} The new expected date is {{.Expected}}.{{end}}
{{range .Lines}}
- {{.Quantity}} × {{.Title}}{{if .Expected}}: expected {{.Expected}}{{end}}{{end}}

If that is too late, you can swap to a similar item that is in stock or cancel with a full refund. {{if .Deadline}}To wait, tell us so on your order page: if we have not heard from you by {{.Deadline}}, we will cancel the waiting items and refund them.{{else}}Or simply wait: nothing to do.{{end}} Your order page: {{.Link}}`,
		},
		"pt-BR": {
			Subject: "Pedido {{.Order.Number}} atrasado",
			Body: `Olá{{with .Customer.Name}} {{.}}{{end}},

lamentamos: seu pedido {{.Order.Number}} vai chegar depois do prometido.{{if .Expected}} A nova data prevista é {{.Expected}}.{{end}}
{{range .Lines}}
- {{.Quantity}} × {{.Title}}{{if .Expected}}: previsto para {{.Expected}}{{end}}{{end}}

Se for tarde demais, você pode trocar por um item parecido em estoque ou cancelar com reembolso total. {{if .Deadline}}Para esperar, diga-nos na página do seu pedido: se não tivermos sua resposta até {{.Deadline}}, cancelaremos os itens em espera e faremos o reembolso.{{else}}Ou apenas esperar: não precisa fazer nada.{{end}} A página do seu pedido: {{.Link}}`,
		},
		"it": {
			Subject: "Ordine {{.Order.Number}} in ritardo",
			Body: `Ciao{{with .Customer.Name}} {{.}}{{end}},

ci dispiace: il tuo ordine {{.Order.Number}} arriverà più tardi del previsto.{{if .Expected}} La nuova data prevista è il {{.Expected}}.{{end}}
{{range .Lines}}
- {{.Quantity}} × {{.Title}}{{if .Expected}}: previsto il {{.Expected}}{{end}}{{end}}

Se è troppo tardi, puoi sostituirlo con un articolo simile disponibile o annullarlo con il rimborso completo. {{if .Deadline}}Per aspettare, diccelo nella pagina del tuo ordine: se non riceviamo una tua risposta entro il {{.Deadline}}, annulleremo gli articoli in attesa e li rimborseremo.{{else}}Oppure aspettare: non devi fare nulla.{{end}} La pagina del tuo ordine: {{.Link}}`,
		},
	},
	KindShipped: {
		"en": {
			Subject: "Order {{.Order.Number}} has shipped",
			Body: `Hello{{with .Customer.Name}} {{.}}{{end}},

good news: your order {{.Order.Number}} shipped{{with .Date}} on {{.}}{{end}} and is on its way.
{{range .Lines}}
- {{.Quantity}} × {{.Title}}{{end}}
{{if .Shipment.Carrier}}
Carrier: {{.Shipment.Carrier}}{{end}}{{if .Shipment.TrackingNumber}}
Tracking number: {{.Shipment.TrackingNumber}}{{end}}{{if .Shipment.TrackingURL}}
Track your parcel: {{.Shipment.TrackingURL}}{{end}}

Your order page: {{.Link}}`,
		},
		"pt-BR": {
			Subject: "Pedido {{.Order.Number}} enviado",
			Body: `Olá{{with .Customer.Name}} {{.}}{{end}},

boa notícia: seu pedido {{.Order.Number}} foi enviado{{with .Date}} em {{.}}{{end}} e está a caminho.
{{range .Lines}}
- {{.Quantity}} × {{.Title}}{{end}}
{{if .Shipment.Carrier}}
Transportadora: {{.Shipment.Carrier}}{{end}}{{if .Shipment.TrackingNumber}}
Código de rastreio: {{.Shipment.TrackingNumber}}{{end}}{{if .Shipment.TrackingURL}}
Rastreie sua encomenda: {{.Shipment.TrackingURL}}{{end}}

A página do seu pedido: {{.Link}}`,
		},
		"it": {
			Subject: "Ordine {{.Order.Number}} spedito",
			Body: `Ciao{{with .Customer.Name}} {{.}}{{end}},

buone notizie: il tuo ordine {{.Order.Number}} è stato spedito{{with .Date}} il {{.}}{{end}} ed è in viaggio.
{{range .Lines}}
- {{.Quantity}} × {{.Title}}{{end}}
{{if .Shipment.Carrier}}
Corriere: {{.Shipment.Carrier}}{{end}}{{if .Shipment.TrackingNumber}}
Numero di tracciamento: {{.Shipment.TrackingNumber}}{{end}}{{if .Shipment.TrackingURL}}
Traccia il pacco: {{.Shipment.TrackingURL}}{{end}}

La pagina del tuo ordine: {{.Link}}`,
		},
	},
	KindDelivered: {
		"en": {
			Subject: "Order {{.Order.Number}} was delivered",
			Body: `Hello{{with .Customer.Name}} {{.}}{{end}},

your order {{.Order.Number}} was delivered{{with .Date}} on {{.}}{{end}}. We hope you enjoy it!

Something wrong? Just reply to this message. Your order page: {{.Link}}`,
		},
		"pt-BR": {
			Subject: "Pedido {{.Order.Number}} entregue",
			Body: `Olá{{with .Customer.Name}} {{.}}{{end}},

seu pedido {{.Order.Number}} foi entregue{{with .Date}} em {{.}}{{end}}. Esperamos que goste!

Algum problema? É só responder a esta mensagem. A página do seu pedido: {{.Link}}`,
		},
		"it": {
			Subject: "Ordine {{.Order.Number}} consegnato",
			Body: `Ciao{{with .Customer.Name}} {{.}}{{end}},

il tuo ordine {{.Order.Number}} è stato consegnato{{with .Date}} il {{.}}{{end}}. Speriamo che ti piaccia!

Qualcosa non va? Rispondi a questo messaggio. La pagina del tuo ordine: {{.Link}}`,
		},
	},
	KindCancelled: {
		"en": {
			Subject: "Order {{.Order.Number}}: {{if .Order.Cancelled}}cancelled{{else}}items cancelled{{end}}",
			Body: `Hello{{with .Customer.Name}} {{.}}{{end}},

{{if .Order.Cancelled}}your order {{.Order.Number}} was cancelled.{{else}}these items of your order {{.Order.Number}} were cancelled:{{end}}
{{range .Lines}}
- {{.Quantity}} × {{.Title}}{{end}}
{{if .Refund}}
We are refunding {{.Refund}} to your original payment method.
{{end}}{{if .Coupon.Code}}
We are sorry for the trouble. Here is a coupon{{with .Coupon.Value}} for {{.}} off{{end}} your next order: {{.Coupon.Code}}{{with .Coupon.Expires}} (valid until {{.}}){{end}}.
{{end}}
Your order page: {{.Link}}`,
		},
		"pt-BR": {
			Subject: "Pedido {{.Order.Number}}: {{if .Order.Cancelled}}cancelado{{else}}itens cancelados{{end}}",
			Body: `Olá{{with .Customer.Name}} {{.}}{{end}},

{{if .Order.Cancelled}}seu pedido {{.Order.Number}} foi cancelado.{{else}}estes itens do seu pedido {{.Order.Number}} foram cancelados:{{end}}
{{range .Lines}}
- {{.Quantity}} × {{.Title}}{{end}}
{{if .Refund}}
Vamos reembolsar {{.Refund}} na forma de pagamento original.
{{end}}{{if .Coupon.Code}}
Pedimos desculpas pelo transtorno. Aqui está um cupom{{with .Coupon.Value}} de {{.}} de desconto{{end}} para a sua próxima compra: {{.Coupon.Code}}{{with .Coupon.Expires}} (válido até {{.}}){{end}}.
{{end}}
A página do seu pedido: {{.Link}}`,
		},
		"it": {
			Subject: "Ordine {{.Order.Number}}: {{if .Order.Cancelled}}annullato{{else}}articoli annullati{{end}}",
			Body: `Ciao{{with .Customer.Name}} {{.}}{{end}},

{{if .Order.Cancelled}}il tuo ordine {{.Order.Number}} è stato annullato.{{else}}questi articoli del tuo ordine {{.Order.Number}} sono stati annullati:{{end}}
{{range .Lines}}
- {{.Quantity}} × {{.Title}}{{end}}
{{if .Refund}}
Ti rimborsiamo {{.Refund}} sul metodo di pagamento originale.
{{end}}{{if .Coupon.Code}}
Ci scusiamo per il disagio. Ecco un coupon per il prossimo ordine: {{.Coupon.Code}}{{with .Coupon.Value}}, sconto {{.}}{{end}}{{with .Coupon.Expires}}, valido fino al {{.}}{{end}}.
{{end}}
La pagina del tuo ordine: {{.Link}}`,
		},
	},
	KindChoice: {
		"en": {
			Subject: "Order {{.Order.Number}}: we got your choice",
			Body: `Hello{{with .Customer.Name}} {{.}}{{end}},

thank you for letting us know.
{{if eq .Choice "wait"}}You chose to wait{{if .Expected}}: we expect the items on {{.Expected}}{{end}}. We ship them as soon as they arrive.{{else if eq .Choice "swap"}}You chose to swap{{with .SwapTitle}} to {{.}}{{end}}. We ship the new item as soon as we can.{{if .Refund}} We are refunding the difference, {{.Refund}}.{{end}}{{else if eq .Choice "cancel"}}You chose to cancel. The items are cancelled{{if .Refund}} and we are refunding {{.Refund}} to your original payment method{{end}}.{{if .Coupon.Code}} We are sorry for the wait: here is a coupon{{with .Coupon.Value}} for {{.}} off{{end}} your next order: {{.Coupon.Code}}{{with .Coupon.Expires}} (valid until {{.}}){{end}}.{{end}}{{else}}Your choice is recorded.{{end}}
{{range .Lines}}
- {{.Quantity}} × {{.Title}}{{end}}

Your order page: {{.Link}}`,
		},
		"pt-BR": {
			Subject: "Pedido {{.Order.Number}}: recebemos sua escolha",
			Body: `Olá{{with .Customer.Name}} {{.}}{{end}},

obrigado por nos avisar.
{{if eq .Choice "wait"}}Você escolheu esperar{{if .Expected}}: prevemos os itens para {{.Expected}}{{end}}. Enviamos assim que chegarem.{{else if eq .Choice "swap"}}Você escolheu trocar{{with .SwapTitle}} por {{.}}{{end}}. Enviamos o novo item o quanto antes.{{if .Refund}} Vamos reembolsar a diferença, {{.Refund}}.{{end}}{{else if eq .Choice "cancel"}}Você escolheu cancelar. Os itens foram cancelados{{if .Refund}} e vamos reembolsar {{.Refund}} na forma de pagamento original{{end}}.{{if .Coupon.Code}} Desculpe pela espera: aqui está um cupom{{with .Coupon.Value}} de {{.}} de desconto{{end}} para a sua próxima compra: {{.Coupon.Code}}{{with .Coupon.Expires}} (válido até {{.}}){{end}}.{{end}}{{else}}Sua escolha foi registrada.{{end}}
{{range .Lines}}
- {{.Quantity}} × {{.Title}}{{end}}

A página do seu pedido: {{.Link}}`,
		},
		"it": {
			Subject: "Ordine {{.Order.Number}}: abbiamo ricevuto la tua scelta",
			Body: `Ciao{{with .Customer.Name}} {{.}}{{end}},

grazie per avercelo detto.
{{if eq .Choice "wait"}}Hai scelto di aspettare{{if .Expected}}: prevediamo gli articoli il {{.Expected}}{{end}}. Li spediamo appena arrivano.{{else if eq .Choice "swap"}}Hai scelto di sostituire{{with .SwapTitle}} con {{.}}{{end}}. Spediamo il nuovo articolo il prima possibile.{{if .Refund}} Ti rimborsiamo la differenza, {{.Refund}}.{{end}}{{else if eq .Choice "cancel"}}Hai scelto di annullare. Gli articoli sono annullati{{if .Refund}} e ti rimborsiamo {{.Refund}} sul metodo di pagamento originale{{end}}.{{if .Coupon.Code}} Ci scusiamo per l'attesa. Ecco un coupon per il prossimo ordine: {{.Coupon.Code}}{{with .Coupon.Value}}, sconto {{.}}{{end}}{{with .Coupon.Expires}}, valido fino al {{.}}{{end}}.{{end}}{{else}}La tua scelta è registrata.{{end}}
{{range .Lines}}
- {{.Quantity}} × {{.Title}}{{end}}

La pagina del tuo ordine: {{.Link}}`,
		},
	},
	KindRestockExpected: {
		"en": {
			Subject: "Order {{.Order.Number}}: a date for your backordered items",
			Body: `Hello{{with .Customer.Name}} {{.}}{{end}},

we now know when the items you are waiting for will be back in stock{{if .Expected}}: {{.Expected}}{{end}}.
{{range .Lines}}
- {{.Quantity}} × {{.Title}}{{if .Expected}}: expected {{.Expected}}{{end}}{{end}}

Happy to wait? {{if .Deadline}}Tell us so on your order page by {{.Deadline}}, or we will cancel the waiting items and refund them.{{else}}Nothing to do.{{end}} Otherwise you can swap to a similar item that is in stock or cancel with a full refund on your order page: {{.Link}}`,
		},
		"pt-BR": {
			Subject: "Pedido {{.Order.Number}}: uma data para os itens em falta",
			Body: `Olá{{with .Customer.Name}} {{.}}{{end}},

já sabemos quando os itens que você espera voltam ao estoque{{if .Expected}}: {{.Expected}}{{end}}.
{{range .Lines}}
- {{.Quantity}} × {{.Title}}{{if .Expected}}: previsto para {{.Expected}}{{end}}{{end}}

Pode esperar? {{if .Deadline}}Diga-nos na página do seu pedido até {{.Deadline}}, senão cancelaremos os itens em espera e faremos o reembolso.{{else}}Não precisa fazer nada.{{end}} Caso contrário, você pode trocar por um item parecido em estoque ou cancelar com reembolso total na página do seu pedido: {{.Link}}`,
		},
		"it": {
			Subject: "Ordine {{.Order.Number}}: una data per gli articoli non disponibili",
			Body: `Ciao{{with .Customer.Name}} {{.}}{{end}},

ora sappiamo quando gli articoli che aspetti torneranno disponibili{{if .Expected}}: il {{.Expected}}{{end}}.
{{range .Lines}}
- {{.Quantity}} × {{.Title}}{{if .Expected}}: previsto il {{.Expected}}{{end}}{{end}}

Puoi aspettare? {{if .Deadline}}Diccelo nella pagina del tuo ordine entro il {{.Deadline}}: in caso contrario annulleremo gli articoli in attesa e li rimborseremo.{{else}}Non devi fare nulla.{{end}} Altrimenti puoi sostituirli con un articolo simile disponibile o annullarli con il rimborso completo nella pagina del tuo ordine: {{.Link}}`,
		},
	},
}

// layoutText is the fixed wording of the HTML layout and the text footer.
var layoutText = map[string]struct{ Button, Questions string }{
	"en":    {Button: "View your order", Questions: "Questions? Write to"},
	"pt-BR": {Button: "Ver seu pedido", Questions: "Dúvidas? Escreva para"},
	"it":    {Button: "Vedi il tuo ordine", Questions: "Domande? Scrivi a"},
}
