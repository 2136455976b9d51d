package prompts

// The data each template is rendered with. Overrides see the same fields, so
// these types are part of the prompt contract: add fields, never rename.

// SystemData is given to "system", the language model's standing orders.
type SystemData struct {
	Lang     string    // reply language: "zh" or "en"
	Passages []Passage // knowledge passages, best first
}

// Passage is one knowledge passage as the system prompt shows it.
type Passage struct {
	N        int // 1-based number the model may cite
	Title    string
	Heading  string
	Text     string
	Relevant bool
}

// AnswerData is given to "answer", which frames the customer's message as
// data for the language model.
type AnswerData struct {
	Lang     string
	Question string // the customer's words, delimiter tags already removed
	Intent   string
	Mood     string
}

// ReplyData is given to the offline reply templates: "offline_answer",
// "no_answer", "greeting", "thanks" and "human_request".
type ReplyData struct {
	Lang    string
	Apology bool   // the customer sounds upset: open with an apology
	Title   string // offline_answer: the source document's title
	Heading string // offline_answer: section path or FAQ question
	Text    string // offline_answer: the passage excerpt to give
}
