package longterm

import (
	"strconv"
	"strings"
	"unicode"
)

const (
	enKid   = `(baby|son|sons|daughter|daughters|kid|kids|child|children|boy|boys|girl|girls|twins|little one|little ones|toddler|toddlers|newborn|infant)`
	enUnit  = `(months?|monthes|moths|mnths?|mths?|mos?|weeks?|wks?|years?|yrs?|yo|y/o)`
	enPets  = `(dogs?|puppy|puppies|cats?|kittens?|kitty|hamsters?|rabbits?|bunny|bunnies|parrots?|fish)`
	enTimes = `(morning|afternoon|evening|weekends?|weekdays?|daytime|noon|lunchtime|(?:after|before)\s+\d{1,2}(?::\d\d)?\s*(?:am|pm|a\.m\.|p\.m\.)?)`
	enSubj  = `\b(?:i|we)(?:\s+[a-z']+){0,3}?`
)

var enRules = []rule{
	// Ages: "my baby is 8 months old", "my daughter's 3", "my 8-month-old".
	{re: re(`\b(?:my|our)\s+(?:little\s+|baby\s+|youngest\s+|eldest\s+|oldest\s+)?` + enKid + `\b(?:\s+[a-z]+)?(?:\s+is|\s+are|'s|\s+turned|\s+just turned|\s+turns|\s+will be)\s+(?:now\s+|just\s+|about\s+|almost\s+|nearly\s+|only\s+|already\s+)*{enum}\s*(?:-\s*)?(?:` + enUnit + `\b)?`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return ageCandidate(g[1], g[2], g[3], false) }},
	{re: re(`^(?:the\s+)?baby\s+is\s+(?:now\s+|just\s+|about\s+)*{enum}\s*` + enUnit + `\b`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return ageCandidate("baby", g[1], g[2], false) }},
	{re: re(`\b(?:my|our|an?|have an?)\s+{enum}[\s-]*` + enUnit + `[\s-]*old\b`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return ageCandidate("", g[1], g[2], false) }},
	{re: re(`^(?:he|she|they)(?:'s|\s+is)\s+(?:now\s+|already\s+)*{enum}\s*` + enUnit + `\b`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate {
			if _, ok := b.knownValue("baby.age"); ok {
				return ageCandidate("baby", g[1], g[2], false)
			}
			if _, ok := b.knownValue("child.age"); ok {
				return ageCandidate("child", g[1], g[2], false)
			}
			return nil
		}},
	// Household.
	{re: re(`\b(?:i|we)\s+have\s+{enum}\s+(?:kids|children|little ones|boys|girls)\b`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return countCandidate("household.children", g[1]) }},
	{re: re(`\bfamily of\s+{enum}\b`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return countCandidate("household.size", g[1]) }},
	// Pets; "I don't have a dog anymore" retracts.
	{re: re(enSubj + `\s+(?:have|own|got|adopted|has)\s+(?:{enum}\s+)(?:little\s+|new\s+|big\s+|small\s+)?` + enPets + `\b`), presupposed: true, retractable: true,
		build: func(g []string, b buildCtx) []Candidate { return petCandidate(g[2], g[1]) }},
	{re: re(`\bmy\s+(?:little\s+|old\s+)?(dog|cat|puppy|kitten)\b`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate {
			cs := petCandidate(g[1], "")
			for i := range cs {
				cs[i].Importance = 0.4
			}
			return cs
		}},
	{re: re(`\bmy\s+(dog|cat|puppy|kitten)\s+(?:died|passed away|ran away|is gone|was rehomed)`), presupposed: true, negative: true,
		build: func(g []string, b buildCtx) []Candidate { return retract(petCandidate(g[1], "")) }},
	// City; "I don't live in Shanghai anymore" retracts.
	{re: re(enSubj + `\s+(live|lives|living|reside|am based|'m based|are based|moved|relocated|just moved)\s+(?:in|to)\s+([a-z\p{Han}][a-z'\p{Han}]*(?:\s+[a-z][a-z']+)?)`), presupposed: true, retractable: true,
		build: func(g []string, b buildCtx) []Candidate { return enCityCandidate(g[2], true) }},
	{re: re(`\b(?:i'm|i am|we're|we are)\s+(?:currently\s+|now\s+)?(?:in|from)\s+{city}`), presupposed: true, retractable: true,
		build: func(g []string, b buildCtx) []Candidate { return cityCandidate(g[1]) }},
	// "I'm based in London", "we're located in Toronto", "I am living in Leeds".
	{re: re(`\b(?:i'm|i am|we're|we are)\s+(?:not\s+|no longer\s+)?(?:currently\s+|now\s+|still\s+)?(based|located|living|staying|settled)\s+(?:in|near)\s+([a-z\p{Han}][a-z'\p{Han}]*(?:\s+[a-z][a-z']+)?)`), presupposed: true, retractable: true,
		build: func(g []string, b buildCtx) []Candidate { return enCityCandidate(g[2], true) }},
	// Sizes.
	{re: re(`\bi(?:\s+[a-z']+){0,2}?\s+(?:wear|take|buy|get|fit)\s+(?:a\s+)?(?:size\s+)?{size}\b`), retractable: true,
		build: func(g []string, b buildCtx) []Candidate { return sizeCandidate(g[1]) }},
	{re: re(`\b(?:i'm|i am)\s+(?:usually\s+|normally\s+|always\s+)?(?:a\s+)(?:size\s+)?{size}(?:\s+in\s+[a-z\- ]+)?\s*$`), retractable: true,
		build: func(g []string, b buildCtx) []Candidate { return sizeCandidate(g[1]) }},
	{re: re(`\bmy\s+(?:clothing\s+|clothes\s+|shirt\s+|t-shirt\s+|dress\s+)?size\s+is\s+(?:usually\s+)?{size}\b`), retractable: true,
		build: func(g []string, b buildCtx) []Candidate { return sizeCandidate(g[1]) }},
	{re: re(`\bshoe\s+size\s+(?:is\s+)?(?:usually\s+)?(?:a\s+|an\s+)?(\d{1,2}(?:\.5)?)\b`), retractable: true,
		build: func(g []string, b buildCtx) []Candidate { return one("shoe.size", g[1]) }},
	{re: re(`\bi\s+(?:wear|take)\s+(?:a\s+)?(?:size\s+)?(\d{1,2}(?:\.5)?)\s+(?:in\s+)?(?:shoes?|sneakers|boots)\b`), retractable: true,
		build: func(g []string, b buildCtx) []Candidate { return one("shoe.size", g[1]) }},
	// Body.
	{re: re(`\bi(?:'m| am)\s+(\d{3})\s*cm\b`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return heightCandidate(g[1], "cm") }},
	{re: re(`\bi\s+weigh\s+(\d{2,3})\s*(kg|kgs|kilos|lbs|lb|pounds)\b`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return weightCandidate(g[1], g[2]) }},
	// Carriers.
	{re: re(`\b(?:prefer|prefers|preferred|like|love|always use|usually use|use)\s+(?:to\s+(?:use|ship with|get deliveries from)\s+|using\s+|shipping with\s+|delivery by\s+)?{carrier}`),
		build: func(g []string, b buildCtx) []Candidate { return carrierCandidate("shipping.carrier", g[1]) }},
	{re: re(`\b(?:ship|send|deliver)\s+(?:it\s+|them\s+|my\s+(?:order|orders|parcel|package|stuff)\s+)?(?:with|via|by|using|through)\s+{carrier}`),
		build: func(g []string, b buildCtx) []Candidate { return carrierCandidate("shipping.carrier", g[1]) }},
	{re: re(`\b(?:don't|do not|dont|never|please don't)\s+(?:use|ship with|send with|send via|ship via|ship by|want)\s+{carrier}`), negative: true,
		build: func(g []string, b buildCtx) []Candidate { return carrierCandidate("shipping.carrier_avoid", g[1]) }},
	// Contact.
	{re: re(`\b(?:don't|do not|dont|please don't|never|stop|no need to)\s+(?:ever\s+)?(?:call|phone|ring)(?:ing)?\s+me(?:\s+(?:again|anymore|any more|please))?\s*$`), negative: true,
		build: func(g []string, b buildCtx) []Candidate { return one("contact.no_call", "yes") }},
	{re: re(`\b(?:no\s+(?:phone\s+)?calls\b|i\s+(?:don't|do not)\s+(?:want|like|take)\s+(?:phone\s+)?calls\b)`), negative: true,
		build: func(g []string, b buildCtx) []Candidate { return one("contact.no_call", "yes") }},
	{re: re(`\b(?:call|contact|reach|ring|phone)\s+me\s+(?:only\s+|best\s+)?(?:in the\s+|on\s+|at\s+|during the\s+)?` + enTimes), retractable: false,
		build: func(g []string, b buildCtx) []Candidate { return enTimeCandidate(g[1]) }},
	{re: re(`\bbest time to (?:call|reach|contact) me is\s+(?:in the\s+|on\s+|at\s+|during the\s+)?` + enTimes),
		build: func(g []string, b buildCtx) []Candidate { return enTimeCandidate(g[1]) }},
	{re: re(`\bi'?m\s+(?:only\s+|usually\s+)?(?:available|free|reachable)\s+(?:in the\s+|on\s+|at\s+|during the\s+)?` + enTimes),
		build: func(g []string, b buildCtx) []Candidate { return enTimeCandidate(g[1]) }},
	{re: re(`\b(?:please\s+)?(email|e-mail|text|message me on wechat|wechat|whatsapp)\s+me\b`),
		build: func(g []string, b buildCtx) []Candidate {
			return channelCandidate(strings.TrimPrefix(g[1], "message me on "))
		}},
	{re: re(`\b(?:contact|reach|notify)\s+me\s+(?:by|via|on|through|over)\s+(email|e-mail|phone|text|sms|wechat|whatsapp)\b`),
		build: func(g []string, b buildCtx) []Candidate { return channelCandidate(g[1]) }},
	{re: re(`\bprefer\s+(email|e-mail|text messages?|texts|phone calls?|wechat|whatsapp)\b`),
		build: func(g []string, b buildCtx) []Candidate { return channelCandidate(g[1]) }},
	{re: re(`\b(?:reply|answer|respond|talk|speak|write)\s+(?:to me\s+)?in\s+(english|chinese|mandarin)\b`),
		build: func(g []string, b buildCtx) []Candidate {
			if strings.EqualFold(g[1], "english") {
				return one("contact.language", "en")
			}
			return one("contact.language", "zh")
		}},
	// Allergies; "not allergic … anymore" retracts.
	{re: re(`\b(i'm|i am|i|we're|we are|my\s+(?:son|daughter|baby|kid|child|little one|boy|girl)(?:\s+is|'s)|(?:he|she)\s+is|(?:he|she)'s)\s+(?:not\s+|no longer\s+)?(?:[a-z]+ly\s+|also\s+|still\s+)?allergic\s+to\s+([a-z][a-z\- ]{1,40}?)\s*(?:anymore|any more)?\s*$`), presupposed: true, retractable: true,
		build: func(g []string, b buildCtx) []Candidate { return enAllergyCandidates(g[1], g[2], b) }},
	{re: re(`\b(i|we|my\s+(?:son|daughter|baby|kid|child))\s+(?:have|has)\s+an?\s+([a-z][a-z\-]{1,20}(?:\s+[a-z]+)?)\s+allergy\b`), presupposed: true, retractable: true,
		build: func(g []string, b buildCtx) []Candidate { return enAllergyCandidates(g[1], g[2], b) }},
	// Diet.
	{re: re(`\bi(?:'m| am)\s+(?:a\s+|strictly\s+)?(vegetarian|vegan|lactose[ -]intolerant|diabetic|gluten[- ]free|halal|kosher)\b`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return dietCandidate(strings.ReplaceAll(g[1], "-", " ")) }},
	{re: re(`\bi\s+(?:don't|do not|dont|never|can't|cannot)\s+eat\s+(pork|beef|seafood|spicy food|spicy|sugar|gluten)\b`), negative: true, presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return dietCandidate(g[1]) }},
	{re: re(`\bi\s+(?:only\s+)?eat\s+(halal|kosher)\b`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return dietCandidate(g[1]) }},
	// Products owned.
	{re: re(`\b(?:my|our)\s+(?:water\s+)?purifier\s+is\s+(?:an?\s+|the\s+)?(?:model\s+)?([a-z0-9][a-z0-9\-]{1,15}(?:\s+[a-z0-9\-]{1,8})?)`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return modelCandidate(g[1]) }},
	{re: re(`\b(?:i|we)\s+(?:have|own|bought|use|got)\s+(?:a|an|the)\s+([a-z0-9][a-z0-9\-]{1,15}(?:\s+[a-z0-9\-]{1,8})?)\s+(?:water\s+)?purifier`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return modelCandidate(g[1]) }},
	{re: re(`\bpurifier\s+model\s+(?:is\s+)?([a-z0-9\-]{2,16})`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return modelCandidate(g[1]) }},
	{re: re(`\b(?:i|we)\s+(?:installed|changed|replaced|put in|swapped)\s+(?:the|a|my|our)\s+(?:new\s+)?(?:water\s+)?filter(?:\s+cartridge)?\s+(?:on\s+|in\s+)?{endate}`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return dateCandidate("product.filter.installed_at", g[1], b) }},
	{re: re(`\bfilter\s+(?:was\s+)?(?:installed|changed|replaced)\s+(?:on\s+|in\s+)?{endate}`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return dateCandidate("product.filter.installed_at", g[1], b) }},
	{re: re(`\b(?:on|use|uses|using|drinks?|drinking|feed\s+(?:him|her|them))\s+([a-z][a-z]+)\s+stage\s+([1-4])\b`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate {
			return one("baby.formula", strings.ToUpper(g[1][:1])+g[1][1:]+" stage "+g[2])
		}},
	// Budget.
	{re: re(`\bbudget\s+(?:is\s+|of\s+)?((?:around|about|roughly|under|below|up to|max|maximum|less than)\s+)?(\$|¥|usd\s*|rmb\s*|cny\s*)?(\d[\d,]*(?:\.\d+)?)\s*(k\b)?\s*(dollars|usd|yuan|rmb|cny|bucks)?`),
		build: func(g []string, b buildCtx) []Candidate {
			qual := ""
			switch strings.TrimSpace(strings.ToLower(g[1])) {
			case "around", "about", "roughly":
				qual = "about"
			case "":
			default:
				qual = "under"
			}
			cur := currencyOf(g[2])
			if cur == "" {
				cur = currencyOf(g[5])
			}
			if v, ok := budgetValue(qual, g[3], g[4], cur); ok {
				return one("budget", v)
			}
			return nil
		}},
	{re: re(`\b(?:can't|cannot|can not|don't want to|do not want to)\s+spend\s+more\s+than\s+(\$|¥)?(\d[\d,]*)\s*(dollars|usd|yuan|rmb|bucks)?`), negative: true,
		build: func(g []string, b buildCtx) []Candidate {
			cur := currencyOf(g[1])
			if cur == "" {
				cur = currencyOf(g[3])
			}
			if v, ok := budgetValue("under", g[2], "", cur); ok {
				return one("budget", v)
			}
			return nil
		}},
	// Name, birthday, payment.
	{re: re(`\bmy name is\s+([a-z]+(?:\s+[a-z]+)?)`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return enNameCandidate(g[1]) }},
	{re: re(`\b(?:please\s+)?call me\s+([a-z]+)\s*$`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate { return enNameCandidate(g[1]) }},
	{re: re(`\bmy birthday is\s+(?:on\s+)?{endate}`), presupposed: true,
		build: func(g []string, b buildCtx) []Candidate {
			d, ok := resolveDate(g[1], b.at)
			if !ok {
				return nil
			}
			return one("birthday", d[5:])
		}},
	{re: re(`\bi\s+(?:usually|always|normally|prefer to|like to|mostly)\s+pay\s+(?:with|by|via|using)\s+(paypal|alipay|wechat pay|credit card|apple pay|card|cash on delivery)`),
		build: func(g []string, b buildCtx) []Candidate { return paymentCandidate(g[1]) }},
	// Commitments we made: "we'll call you back on Friday".
	{re: re(`\b(?:we|i)(?:'ll|\s+will|\s+are going to|'re going to|\s+am going to|'m going to|\s+shall)\s+(?:personally\s+|definitely\s+|make sure to\s+|be sure to\s+|also\s+)?(call you back|call you|give you a call|get back to you|reply to you|email you|send you an email|follow up|look into (?:it|this)|ship (?:it|your order|the order|the replacement)|send (?:you\s+)?(?:a|the) replacement|refund you|process (?:your|the) refund|issue (?:a|the|your) refund|contact you|reach out)\b([^.!?]{0,50})`), fromUs: true, negative: true,
		build: func(g []string, b buildCtx) []Candidate {
			return commitmentCandidate(g[1], enDeadlineRe.FindString(g[2]))
		}},
}

var enDeadlineRe = re(`\b(?:(?:by|on|before|within|in|no later than)\s+(?:the end of (?:the )?(?:day|week)|(?:next\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)|tomorrow(?:\s+(?:morning|afternoon|evening))?|today|tonight|(?:\d+|one|two|three|twenty-four)\s+(?:hours?|days?|business days|working days))|tomorrow(?:\s+(?:morning|afternoon|evening))?|today|tonight|(?:next\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b`)

// enCityCandidate accepts a known city, or with a verb like "live in" any
// capitalised place name of up to two words.
func enCityCandidate(name string, liveVerb bool) []Candidate {
	if cs := cityCandidate(name); cs != nil {
		return cs
	}
	first := strings.Fields(name)
	if len(first) > 0 {
		if cs := cityCandidate(first[0]); cs != nil {
			return cs
		}
	}
	r := []rune(name)
	if !liveVerb || len(r) == 0 || !unicode.IsUpper(r[0]) {
		return nil
	}
	words := strings.Fields(name)
	if len(words) == 2 && !unicode.IsUpper([]rune(words[1])[0]) {
		name = words[0]
	}
	return one("location.city", name)
}

func enTimeCandidate(t string) []Candidate {
	t = strings.ToLower(strings.Join(strings.Fields(t), " "))
	switch t {
	case "weekend", "weekends":
		return one("contact.time", "weekends")
	case "weekday", "weekdays":
		return one("contact.time", "weekdays")
	case "lunchtime":
		return one("contact.time", "noon")
	case "morning", "afternoon", "evening", "daytime", "noon":
		return one("contact.time", t)
	}
	rel, rest, ok := strings.Cut(t, " ")
	if !ok {
		return nil
	}
	pm := strings.Contains(rest, "pm") || strings.Contains(rest, "p.m.")
	digits := strings.TrimRight(strings.Fields(strings.NewReplacer("am", " ", "pm", " ", "a.m.", " ", "p.m.", " ").Replace(rest))[0], " ")
	hour, _, _ := strings.Cut(digits, ":")
	h, err := strconv.Atoi(hour)
	if err != nil || h > 24 {
		return nil
	}
	if pm && h < 12 {
		h += 12
	}
	return one("contact.time", rel+" "+strconv.Itoa(h)+":00")
}

func enAllergyCandidates(subject, what string, b buildCtx) []Candidate {
	subj := strings.ToLower(subject)
	var out []Candidate
	for _, a := range strings.Split(what, " and ") {
		a = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(a), "anymore"))
		if a == "" || len(a) > 30 {
			continue
		}
		slug, _, _ := allergenOf(a)
		key := "allergy." + slug
		if strings.HasPrefix(subj, "my") || strings.HasPrefix(subj, "he") || strings.HasPrefix(subj, "she") {
			key = "baby.allergy." + slug
		}
		out = append(out, one(key, a)...)
	}
	return out
}

var notNames = map[string]bool{"back": true, "later": true, "tomorrow": true, "today": true, "tonight": true, "anytime": true,
	"again": true, "asap": true, "now": true, "please": true, "when": true, "if": true, "maybe": true}

func enNameCandidate(name string) []Candidate {
	words := strings.Fields(name)
	var keep []string
	for _, w := range words {
		r := []rune(w)
		if !unicode.IsUpper(r[0]) || notNames[strings.ToLower(w)] {
			break
		}
		keep = append(keep, w)
	}
	if len(keep) == 0 {
		return nil
	}
	return one("name", strings.Join(keep, " "))
}
