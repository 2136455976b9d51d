package seed

import "time"

// abandonShare is the share of browsing sessions (no purchase) that put the
// last product viewed into the cart and leave without ordering, for the
// sample cart_abandoned trigger to find in a backtest.
const abandonShare = 0.04

func pageProps(path, title string, dwellMS int) map[string]any {
	return map[string]any{"url": siteOrigin + path, "title": title, "dwell_ms": dwellMS}
}

// interests are the products a segment looks at.
func (s *sim) interests() []product {
	switch s.segment {
	case SegmentWater:
		return []product{filter, purifier}
	case SegmentBaby:
		return []product{formula}
	case SegmentFashion:
		return []product{jacket, sneaker, sneaker} // the sold-out sneaker draws them back
	}
	return catalogue
}

// session is one visit on day: pages, product views, a search, and, when
// buy is set, the cart and the order's time (returned).
func (s *sim) session(day int, buy *item) time.Time {
	at := s.dayStart(day).Add(time.Duration(1+s.rng.IntN(14))*time.Hour + time.Duration(s.rng.IntN(3600))*time.Second)
	step := func() { at = at.Add(time.Duration(15+s.rng.IntN(150)) * time.Second) }
	s.emit(evPageView, at, pageProps(pageHome, "Kairos 演示商店 Demo shop", 3000+s.rng.IntN(20000)))
	if s.chance(0.3) {
		step()
		s.emit(evSearch, at, map[string]any{"query": pick(s, searches[s.segment][s.c.Lang])})
	}
	views := 1 + s.rng.IntN(2)
	var last product
	for range views {
		step()
		p := pick(s, s.interests())
		if buy != nil {
			p = bySKU(buy.SKU)
		}
		s.emit(evPageView, at, pageProps(p.URL, p.Name, 8000+s.rng.IntN(90000)))
		s.emit(evProductView, at, map[string]any{"sku": p.SKU, "name": p.Name, "price": p.Price, "stock": p.Stock})
		last = p
	}
	if s.chance(0.03) {
		step()
		s.emit(evPageView, at, pageProps(pageMembership, "会员 Membership", 5000+s.rng.IntN(30000)))
	}
	if buy == nil {
		if s.alt.Float64() < abandonShare {
			// Into the cart and away: nothing is ordered in this session.
			step()
			s.emit(evCartAdd, at, map[string]any{"sku": last.SKU, "qty": 1, "price": last.Price})
			step()
			s.emit(evPageView, at, pageProps(pageCart, "购物车 Cart", 10000+s.alt.IntN(40000)))
		}
		if s.chance(0.004) {
			s.chat(at.Add(time.Minute), s.topic(), false)
		}
		return at
	}
	step()
	s.emit(evCartAdd, at, map[string]any{"sku": buy.SKU, "qty": buy.Qty, "price": buy.Price})
	step()
	s.emit(evPageView, at, pageProps(pageCart, "购物车 Cart", 10000+s.rng.IntN(40000)))
	step()
	return at
}

func bySKU(sku string) product {
	for _, p := range catalogue {
		if p.SKU == sku {
			return p
		}
	}
	return catalogue[0]
}
