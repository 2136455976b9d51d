package insight

// Intent lexicons. Weights: 3 for words that name the intent ("退款",
// "refund"), 2 for strong cues, 1 for words that only lean towards it. An
// English single word also matches its plain inflections.

func addIntentWords() {
	in := func(intent string, w float64, words ...string) { add(kIntent, intentIndex(intent), w, words...) }

	in(IntentOrderStatus, 3, "订单状态", "查订单", "查一下订单", "订单到哪", "到哪了", "到哪里了", "到哪儿了", "到哪啦",
		"物流信息", "物流状态", "查物流", "查快递", "快递单号", "运单号", "单号", "还没到", "还没收到", "没收到", "没有收到",
		"收不到货", "发货了吗", "发货了没", "发货没", "什么时候发货", "怎么还没发货", "还没发货", "不发货", "什么时候到",
		"几时到", "到了没", "到没到", "签收", "物流不动", "物流没更新", "物流一直没", "包裹在哪", "包裹到哪", "卡在", "派送中",
		"取消订单", "修改订单", "没有发货", "没有收到货", "还没发", "没发出", "订单号", "订单怎么", "订单一直", "没发货", "几天了还没",
		"什么时候能到", "什么时候能收到", "啥时候到", "到底到哪", "快递到哪", "货到哪",
		"where is my order", "where's my order", "where is my package", "where's my package", "where is my parcel",
		"where's my parcel", "where is my stuff", "where is it", "where's it", "order status", "track my order",
		"tracking number", "tracking info", "tracking", "track", "hasn't arrived", "has not arrived", "not arrived",
		"haven't received", "have not received", "not received", "never received", "never arrived", "didn't arrive",
		"didn't receive", "still hasn't", "when will my order", "when will it arrive", "when will i get", "when will i receive",
		"has my order shipped", "has it shipped", "shipped yet", "order number", "cancel my order", "cancel the order",
		"marked as delivered", "says delivered", "shows delivered",
		"stuck in transit", "lost package", "lost parcel", "still not here", "still no package", "where the hell is",
		"still waiting for my order", "still waiting on my order", "not delivered", "wasn't delivered", "status of my order")
	in(IntentOrderStatus, 1.5, "下单", "订单", "包裹", "my order", "my package", "my parcel")
	in(IntentOrderStatus, 1, "order", "package", "parcel", "arrive")

	in(IntentShipping, 3, "运费", "包邮", "邮费", "配送", "几天到", "多久到", "多久能到", "几天能到", "发什么快递", "哪家快递",
		"顺丰", "能寄", "寄到", "送到", "海外", "配送范围", "配送时间", "加急", "次日达", "当日达", "自提", "送货上门",
		"快递太慢", "物流太慢", "送货", "快递员", "派送", "送货慢", "快递慢", "发货太慢", "发货速度", "偏远地区", "港澳台",
		"shipping", "shipping cost", "free shipping", "delivery time", "delivery options", "express delivery", "ship to",
		"ship internationally", "courier", "postage", "how long does delivery", "how long does shipping", "delivery fee",
		"same day delivery", "next day delivery", "pick up in store", "dispatch", "shipping fee", "international shipping",
		"deliver to", "do you deliver", "do you ship", "delivery guy", "delivery driver", "the courier", "late delivery",
		"delivery is late", "delivery was late", "shipment")
	in(IntentShipping, 1.5, "快递", "物流", "发货", "delivery", "deliver", "ship", "shipped")

	in(IntentReturn, 3, "退货", "退回去", "寄回", "退掉", "七天无理由", "7天无理由", "无理由退", "退货地址", "退货流程",
		"怎么退", "想退", "能退吗", "可以退吗", "退了吧", "退回", "退换货", "能退", "要退", "申请退",
		"return", "send back", "send it back", "return label", "return policy", "returning", "take it back", "returns")

	in(IntentRefund, 3, "退款", "退钱", "钱退", "返还", "退费", "到账", "退回来的钱", "钱什么时候退", "退款进度", "退给我",
		"原路退回", "仅退款", "还钱", "把钱", "钱还没", "钱呢", "我的钱",
		"refund", "money back", "reimburse", "reimbursement", "my money", "get my money", "credited back", "refunded")

	in(IntentExchange, 3, "换货", "换一个", "换个", "换一件", "换一双", "调换", "更换", "换成", "换颜色", "换尺码",
		"换大一码", "换小一码", "换号", "能换吗", "可以换吗", "换一下", "换新", "补发", "重新发",
		"exchange", "swap", "replacement", "replace", "switch it for", "trade it for", "change the size",
		"change the color", "change the colour", "a different size", "a bigger size", "a smaller size", "send a new one",
		"send me a new one", "resend")

	in(IntentProductQuestion, 3, "材质", "成分", "参数", "规格", "保质期", "有货吗", "有货", "库存", "现货", "补货",
		"什么颜色", "怎么用", "使用方法", "用法", "质量怎么样", "保修", "区别", "哪个好", "推荐", "兼容", "续航", "功率",
		"容量", "多重", "防水", "过敏", "几段", "多久换", "配件", "型号", "正品吗", "说明书", "款式", "还有吗", "能用多久",
		"是什么材料", "适合什么", "适不适合", "有没有", "多少钱", "什么价",
		"material", "made of", "ingredient", "ingredients", "feature", "spec", "specs", "specification", "in stock",
		"out of stock", "back in stock", "restock", "colour", "color", "colors", "available in", "how to use", "warranty",
		"compatible", "waterproof", "difference between", "recommend", "which one", "how much is", "how much does",
		"dimensions", "does it come with", "is it genuine", "allergy", "how long does it last", "how often should",
		"is it safe", "does it work with", "what's the difference", "sold out", "price")
	in(IntentProductQuestion, 1.5, "功能", "产品", "质量", "电池", "颜色", "价格", "适合", "奶粉", "滤芯", "这款", "这个款",
		"product", "battery", "quality", "model", "this item", "this one", "does it", "is it", "stage", "filter")

	in(IntentSizeFit, 3, "尺码", "码数", "偏大", "偏小", "合身", "穿多大", "穿什么码", "多大码", "身高", "体重",
		"肩宽", "腰围", "胸围", "鞋码", "大一码", "小一码", "码子", "不合脚", "挤脚", "标准码", "版型", "什么码",
		"size", "sizing", "fit", "true to size", "too small", "too big", "too large", "too tight", "too loose",
		"runs small", "runs large", "runs big", "measurement", "size chart", "what size", "which size", "waist",
		"inseam", "half size", "size up", "size down")
	in(IntentSizeFit, 1.5, "尺寸", "太大了", "太小了", "有点大", "有点小", "大了", "小了", "tight", "loose")

	in(IntentPaymentBilling, 3, "付款", "支付", "发票", "扣款", "扣费", "扣钱", "账单", "分期", "信用卡", "支付宝",
		"微信支付", "付不了", "支付失败", "重复扣", "多扣", "扣了两次", "收费", "花呗", "银行卡", "付了钱",
		"已付款", "开票", "收据", "价保", "差价", "扣了", "乱扣", "付款失败", "怎么付",
		"payment", "pay", "paid", "charge", "charged twice", "double charged", "invoice", "bill", "billing",
		"credit card", "debit card", "installment", "instalment", "paypal",
		"receipt", "overcharged", "price adjustment", "transaction", "declined", "price match", "charged me", "vat")
	in(IntentPaymentBilling, 1.5, "付", "钱", "扣", "card", "money", "charged")

	in(IntentCancelSubscription, 3, "取消订阅", "退订", "取消自动续费", "关闭自动续费", "关掉自动续费", "取消续费",
		"不想续费", "不续了", "不再续费", "取消会员", "退会员", "注销", "注销账号", "销户", "停止订阅", "取消包月",
		"取消连续包月", "解约", "取消套餐", "退订阅", "关闭订阅", "不想要会员", "别再扣", "不要再扣", "取消年费",
		"cancel my subscription", "cancel subscription", "cancel the subscription", "unsubscribe", "cancel my plan",
		"cancel my membership", "cancel membership", "stop auto-renew", "turn off auto-renew", "turn off auto renew",
		"disable auto-renew", "auto-renewal", "auto renewal", "stop my subscription", "end my subscription",
		"close my account", "delete my account", "don't want to renew", "stop charging me", "cancel my account",
		"cancel the plan", "cancel my trial", "cancel the trial", "stop the subscription", "not renew")
	in(IntentCancelSubscription, 1.5, "取消", "cancel", "cancellation")
	in(IntentCancelSubscription, 1, "订阅", "自动续费", "续费", "subscription", "renewal", "renew")

	in(IntentTechSupport, 3, "登录不了", "登不上", "无法登录", "登录失败", "打不开", "闪退", "报错", "连不上", "连接不上",
		"卡死", "死机", "黑屏", "没反应", "故障", "充不进电", "充不了电", "开不了机", "开不开机",
		"验证码", "忘记密码", "重置密码", "改密码", "账号被锁", "蓝牙", "配对", "固件", "更新后", "卡顿", "加载不出来",
		"白屏", "出错", "错误代码", "同步", "绑定", "解绑", "激活", "设置不了", "安装不了", "下载不了", "连不上网",
		"网络错误", "系统错误", "重启", "不工作", "不好使", "失灵", "坏了", "不亮", "不转", "没声音", "漏水",
		"can't log in", "can't sign in", "unable to log in", "log in", "sign in", "login issue", "password",
		"reset password", "forgot password", "verification code", "error", "error code", "crash", "bug",
		"won't turn on", "won't charge", "won't connect", "can't connect",
		"pair", "pairing", "bluetooth", "wi-fi", "firmware", "website is down", "page won't load", "won't load",
		"frozen", "freezes", "glitch", "install", "setup", "set up", "reset", "sync", "account locked", "locked out",
		"two-factor", "2fa", "stopped working", "keeps crashing", "black screen", "no sound", "leaking", "not charging",
		"won't start", "won't open", "can't open", "troubleshoot", "reboot", "restart")
	in(IntentTechSupport, 2, "用不了", "不能用", "not working", "doesn't work", "does not work")
	in(IntentTechSupport, 1.5, "app", "软件", "系统", "网络", "设置", "安装", "密码", "账号", "登录", "打开",
		"broken", "update", "account", "device", "screen", "website", "site", "loading", "connect", "settings")

	in(IntentMembership, 3, "会员", "积分", "等级", "vip", "会员卡", "会员权益", "升级会员", "黑卡", "金卡", "银卡",
		"成长值", "会员日", "积分兑换", "开通会员", "plus会员", "会员价",
		"membership", "member", "points", "loyalty", "rewards", "reward points", "tier", "gold member", "perks",
		"member benefits", "premium", "upgrade my plan", "loyalty program")
	in(IntentMembership, 1, "subscribe", "plan", "benefits")

	in(IntentComplaint, 3, "投诉", "差评", "举报", "曝光", "12315", "消协", "工商局", "维权", "律师", "起诉", "太差",
		"垃圾", "骗子", "坑人", "态度差", "态度太差", "服务太差", "什么破", "什么服务", "欺骗", "虚假宣传", "假货", "黑店",
		"忽悠", "不负责任", "太不负责", "无良", "再也不买", "再也不来", "以后不买", "不会再买", "什么态度", "要个说法",
		"给个说法", "讨个说法", "服务态度", "差劲", "太坑", "坑爹", "骗人", "糊弄", "敷衍",
		"complain", "complaint", "terrible service", "worst", "scam", "unacceptable", "ripoff", "rip off", "fraud",
		"report you", "bbb", "better business bureau", "lawyer", "sue", "file a complaint", "never buying again",
		"never shop here again", "never order again", "never again", "disgrace", "pathetic", "liar", "misleading",
		"false advertising", "chargeback", "bad review", "one star", "1 star", "customer service is", "your service",
		"this service", "awful service", "horrible service", "poor service", "rude", "thanks for nothing", "joke")

	in(IntentHumanRequest, 3, "转人工", "人工客服", "人工服务", "找人工", "接人工", "要人工", "真人", "人工", "找客服",
		"叫你们经理", "经理", "主管", "负责人", "电话联系", "打电话给我", "活人", "别用机器人", "不要机器人", "客服电话",
		"talk to a human", "speak to a human", "real person", "human agent", "live agent", "talk to a person",
		"speak to a person", "talk to someone", "speak to someone", "a human", "an agent", "a representative",
		"customer service rep", "representative", "your manager", "supervisor", "call me", "real human", "not a bot",
		"speak with someone", "talk with someone", "speak to an agent", "talk to an agent", "human being", "live chat",
		"live person", "actual person", "phone number")
	in(IntentHumanRequest, 2, "客服呢")

	in(IntentShipping, 3, "收货地址", "改地址", "修改地址", "改一下地址", "地址改", "换地址", "change my address",
		"change the address", "change the delivery address", "change my delivery address", "update my address",
		"wrong address", "地址错了", "地址写错")
	in(IntentMembership, 3, "优惠券", "优惠码", "折扣码", "用券", "券", "兑换码", "红包", "coupon", "promo code",
		"discount code", "voucher", "gift card", "promo")
	in(IntentMembership, 1.5, "code")
	in(IntentGreeting, 2, "有人吗", "有人在吗", "anyone there", "is anyone there", "anybody there", "anyone here")
	in(IntentHumanRequest, 3, "agent", "agents")
	in(IntentExchange, 3, "换大一号", "换小一号", "大一号", "小一号", "换大", "换小", "换一换")
	in(IntentProductQuestion, 3, "纯棉", "面料", "材料", "真皮", "支持", "new collection", "collection", "new arrivals",
		"上新", "新款", "out yet", "does it support", "support iphone")
	in(IntentSizeFit, 3, "斤", "lbs", "xl", "xxl", "m or l", "s or m", "l or xl", "m还是l", "s还是m", "l还是xl", "平时穿",
		"run small", "run large", "run big", "fit me", "穿m", "穿l", "穿s", "穿xl")
	in(IntentTechSupport, 3, "api", "workspace", "teammate", "usage limit", "dashboard", "导出", "报表", "功能在哪", "is down",
		"went down", "崩了", "挂了", "502", "500 error", "timeout", "integration", "集成", "接口", "插件", "plugin", "seat", "seats")
	in(IntentCancelSubscription, 2, "自动扣费", "auto charge", "auto-charged", "renewed without")
	in(IntentPaymentBilling, 1, "自动扣费")
	in(IntentOrderStatus, 2, "on its way", "on the way", "发出了吗", "发了吗", "什么时候发")
	in(IntentComplaint, 2, "this is how you treat", "loyal customer", "quality is", "质量太差", "这质量", "破的",
		"包装破", "态度", "不理人", "dark pattern")

	in(IntentOrderStatus, 3, "物流停了", "物流一直不动", "一直没更新", "显示已签收", "没收到货", "派件", "还在路上吗",
		"order hasn't shipped", "still processing", "has it been sent", "has it been shipped", "where's my stuff",
		"tracking hasn't updated", "tracking not updating", "out for delivery")
	in(IntentRefund, 3, "退款失败", "退款被拒", "退款状态", "退款怎么", "refund status", "money hasn't come back",
		"haven't got my refund", "haven't received my refund", "refund hasn't")
	in(IntentReturn, 3, "退货运费", "退货期", "return window", "return shipping", "return the item", "return it")
	in(IntentTechSupport, 3, "页面空白", "blank page", "404", "卡住了", "加载不了", "报错了", "白屏了", "打不开网页",
		"page is blank", "keeps logging me out", "logged out", "two factor", "won't sync", "can't upload", "上传不了")

	// Paraphrases: the same requests in other words, so the lexicons reach
	// beyond the phrasings they were first written from.
	in(IntentOrderStatus, 3, "hasn't shipped", "has not shipped", "not shipped yet", "when will it ship", "when will my order ship",
		"when does it ship", "when will order", "dispatched yet", "been dispatched", "update on my order", "any update on",
		"still says processing", "still processing", "haven't got my order", "haven't gotten my", "still haven't got",
		"didn't get my order", "not here yet", "isn't here", "nothing at my door", "delivered but", "went back to the sender",
		"returned to sender", "back to sender", "tracking link", "tracking page", "tracking says", "tracking shows", "in transit",
		"没动", "不动了", "没更新", "停在", "显示签收", "显示已签收", "催发货", "催一下发货", "快点发货", "已发货", "未发货", "待发货",
		"件到哪", "异常件", "到哪儿", "还没到货", "没到货", "到货了吗", "多久发货", "能发货吗", "发出去了吗", "寄出了吗", "没发")
	in(IntentOrderStatus, 2, "my order", "no update", "been delivered", "marked delivered", "快递", "物流信息")
	in(IntentShipping, 3, "deliver on", "weekend delivery", "deliver on weekends", "which courier", "what courier",
		"express shipping", "standard delivery", "standard shipping", "expedited shipping", "overnight shipping",
		"shipping option", "shipping options", "customs", "duties", "import tax", "ship internationally", "shipping address",
		"delivery address", "关税", "清关", "驿站", "快递柜", "能送到", "送得到", "配送到", "发到", "指定快递", "什么快递", "到付",
		"运费险", "送到公司", "送货时间", "几天能送到", "多久送到", "能寄到")
	in(IntentReturn, 3, "send these back", "send them back", "send this back", "return them", "return these", "return this",
		"return a", "return my", "can i return", "how do i return", "return window", "return request", "return status",
		"退货单", "退货申请", "申请退货", "退回去", "不想要了", "想退掉", "退了")
	in(IntentRefund, 3, "refund me", "my refund", "money back", "credit back", "credited", "full refund", "partial refund",
		"退了一半", "退回来", "退款到账", "钱退到", "钱到账", "没退款", "退款呢")
	in(IntentExchange, 3, "different size", "different colour", "different color", "another size", "another colour",
		"another color", "size swap", "swap it", "exchange it", "exchange them", "换同款", "换尺码", "换个尺码", "换码",
		"换一个新的", "换新的", "换回来", "换货申请")
	in(IntentProductQuestion, 3, "come in", "comes with", "come with", "in the box", "included", "does it have",
		"does this have", "does this come", "dimmable", "adjustable", "rechargeable", "machine washable", "washable",
		"dishwasher safe", "microwave safe", "battery life", "water resistant", "contain", "contains", "suitable for",
		"safe for", "good for", "made in", "what's it made", "compatible with", "work with", "works with",
		"能用吗", "可以用吗", "适用", "孕妇", "能不能用", "可以调", "能调", "带不带", "送不送", "赠品", "有没有送", "充绒量",
		"含量", "重量", "产地", "保修期", "质保", "上一代", "有什么不同", "对比", "有现货", "还有货", "什么材质", "多少毫升",
		"多长", "多宽", "色的吗", "色吗", "色的有吗", "回购", "in stock in", "come in other")
	in(IntentSizeFit, 3, "size up", "size down", "fit me", "fits", "fitting", "chest", "shoulders", "which size",
		"what size should", "size should i", "size guide", "size chart", "sizes run", "usual size", "my size", "m or l",
		"s or m", "选什么码", "拿什么码", "多大的码", "码会不会", "码合适", "尺码表", "尺码准", "身高", "多高", "平时穿")
	in(IntentPaymentBilling, 3, "pay with", "pay by", "apple pay", "google pay", "klarna", "afterpay", "cash on delivery",
		"on my statement", "my statement", "card declined", "card got declined", "payment failed", "payment went through",
		"billed", "charged me", "a charge", "货到付款", "退差价", "价格降了", "降价", "对公转账", "抬头", "税号", "多扣钱",
		"扣了我", "付款失败", "支付不了")
	in(IntentCancelSubscription, 1, "annual plan", "monthly plan")
	in(IntentCancelSubscription, 3, "auto renew", "auto-renew", "auto-renewal", "renews",
		"stop my plan", "let me cancel", "cancel it", "cancel my", "停掉订阅", "关掉自动", "不续", "退订", "停止续费", "关闭续费",
		"不想续", "别再续")
	in(IntentTechSupport, 3, "crashes", "crashing", "timing out", "times out", "timed out", "logging me out",
		"logged me out", "reset email", "verification email", "never got the code", "didn't get the code", "a code i never",
		"reinstall", "reinstalled", "won't let me", "can't access", "cannot access", "not loading", "doesn't load",
		"export", "import", "upload", "notification", "notifications", "add a teammate", "add a user", "admin panel", "been down",
		"down for", "is broken", "went down",
		"扫码", "二维码", "没反应", "登不进", "进不去", "同步不了", "导出", "数据丢", "更新之后", "更新后", "一点开就", "验证码")
	in(IntentMembership, 3, "platinum", "gold member", "silver member", "member discount", "member price", "reward",
		"rewards", "my points", "points expire", "birthday coupon", "生日券", "福利", "权益", "会员日", "金卡", "银卡",
		"等级", "升级", "降级", "清零", "积分", "兑换")
	in(IntentHumanRequest, 3, "someone who can", "anyone real", "a real one", "a person", "an actual human", "talk to someone",
		"speak to someone", "human please", "a human", "人工呢", "真人", "找个人", "有没有人工", "人工客服", "rg")
	in(IntentThanks, 2, "ok", "okay", "okie", "kk", "嗯嗯", "好吧", "行吧")
	in(IntentThanks, 3, "lifesaver", "you rock", "you're the best", "you guys are the best", "bye", "goodbye",
		"have a nice day", "have a good day", "再见", "拜拜", "好嘞", "好哒", "好滴", "好的呢")
	in(IntentGreeting, 3, "hi there", "hello there", "anyone around", "hiii", "hii", "heya", "hola", "嗨喽", "哈喽哈喽")

	// Small talk: reported only when no topical intent matched.
	in(IntentThanks, 3, "谢谢", "感谢", "多谢", "谢啦", "谢了", "3q", "辛苦了", "太感谢", "非常感谢", "谢谢你", "谢谢您",
		"thanks", "thank you", "appreciate", "cheers", "many thanks", "much appreciated", "thank u")
	in(IntentThanks, 2, "解决了", "搞定了", "收到了", "明白了", "好的", "知道了", "that helps", "that worked", "got it", "sorted",
		"problem solved", "all good", "works now", "perfect")
	in(IntentGreeting, 3, "你好", "您好", "在吗", "在不在", "嗨", "哈喽", "哈啰", "早上好", "下午好", "晚上好", "在嘛", "亲在吗",
		"hello", "hi", "hey", "good morning", "good afternoon", "good evening", "hiya", "howdy", "yo", "greetings")
	// Calling out in other spellings: "在马" (a typo of 在吗), "有人没", "喂".
	in(IntentGreeting, 3, "在马", "在么", "有人没", "有没有人在", "喂喂", "喂 ", "又来啦")

	// A grievance given as feedback, asking nothing: "跟你们反馈一下 包装
	// 压扁了", "just letting you know the box was soaked", "just fyi".
	in(IntentComplaint, 3, "反馈一下", "跟你们反馈", "给你们反馈", "提个意见", "提个建议", "下次注意", "注意一下", "注意下",
		"just letting you know", "just so you know", "just fyi", "fyi", "for your information", "thought you should know",
		"heads up")

	// Questions about the bot itself are "other", not a request for a
	// person: "你是机器人还是真人", "am I talking to a person or a script?".
	// The entries hold the human-request words in another sense.
	in(IntentHumanRequest, 0, "机器人还是真人", "是真人吗", "是不是真人", "是机器人吗", "是不是机器人", "你是机器人",
		"are you a bot", "are you a robot", "are you human", "are you a real person", "are you even a real person",
		"a person or a bot", "a person or a script", "a human or a bot", "talking to a person or", "talking to a bot",
		"talking to a human or", "what even are you", "what are you exactly")
}

// Domain-general vocabulary families, so the lexicons reach services
// and products they were not written from (streaming, SaaS, gyms,
// telecom, travel, pets): each is a family of everyday words, not the
// phrasing of one message.
func addFamilies() {
	in := func(intent string, w float64, words ...string) { add(kIntent, intentIndex(intent), w, words...) }

	// Technical problems: something on a device, an app, a network or an
	// account not working, loading, connecting, syncing or keeping data.
	in(IntentTechSupport, 3, "缓冲", "掉线", "断网", "断线", "网速", "没信号", "无服务", "没有信号", "投屏", "投不上",
		"连接失败", "识别不了", "识别不出", "录不进", "录不上", "加载中", "一直转圈", "转圈圈", "很卡", "好卡", "卡得",
		"刷新不出", "显示不出", "不显示", "找回", "数据没了", "全没了", "记录没了", "记录丢", "清缓存",
		"存储空间", "内存不足", "字体", "夜间模式", "深色模式", "新版本", "旧版本", "版本更新", "升级后", "提示失败", "一直提示",
		"buffering", "lagging", "laggy", "lags", "disconnects", "disconnecting", "keeps dropping", "dropping off",
		"drops out", "no signal", "no service", "screen mirroring", "casting", "won't cast",
		"not showing up", "doesn't show up", "won't show", "isn't showing", "not syncing", "didn't sync",
		"recover", "restore", "get my data back", "lost my data", "deleted my", "ate my", "font size", "dark mode",
		"browser", "clear the cache", "cache", "storage", "app store", "play store", "latest version", "new version",
		"old version", "after the update", "since the update", "since your update", "fingerprint", "face id", "webhook",
		"endpoint", "sso", "single sign-on", "permissions", "admin", "inbox", "archive")
	in(IntentTechSupport, 1.5, "signal", "stream", "streaming", "offline", "离线", "版本", "version", "失败", "failed",
		"fails", "router", "modem", "路由器", "光猫", "button", "menu", "toggle")
	in(IntentTechSupport, 1, "wi-fi", "wifi")
	// A repair call-out is a technical problem reported.
	in(IntentTechSupport, 3, "报修", "维修师傅", "repair", "technician")
	in(IntentTechSupport, 2, "来修", "上门修", "修一下", "修好", "fix it", "fix this", "fix your")
	// Account details changed in an app are account how-to.
	in(IntentTechSupport, 1.5, "修改", "手机号", "phone number", "email address", "progress")

	// Size and fit: measurements of the body and of garments, how they
	// sit, and size systems.
	in(IntentSizeFit, 3, "码表", "欧码", "美码", "日码", "国内码", "内地码", "几码", "多少码", "拖地", "勒", "显瘦", "显胖",
		"裤长", "衣长", "袖长", "裙长", "腿短", "腿长", "腿粗", "个子", "小个子", "大个子", "加长", "小一圈", "大一圈",
		"紧不紧", "松不松", "宽松", "修身", "会不会大", "会不会小", "会不会紧", "穿着", "上身",
		"petite", "tall sizes", "plus size", "length", "hem", "sleeves", "sleeve", "snug", "baggy", "roomy",
		"between sizes", "between a", "sizes", "us size", "uk size", "eu size")

	// The order lifecycle in services: a booking, a reservation, an
	// appointment, a takeaway order and its rider are orders too.
	in(IntentOrderStatus, 2, "booking", "my booking", "reservation", "my reservation", "appointment", "my appointment",
		"预订", "预约", "这个单", "我的单", "单子", "送达", "出餐", "赶得上", "赶上", "confirmation email",
		"booking confirmation", "没来", "还没来")
	in(IntentOrderStatus, 0.7, "订的", "外卖", "骑手", "rider", "driver")
	in(IntentOrderStatus, 3, "显示送达", "显示已送达", "没有记录", "no record of", "can't find my booking",
		"can't find my reservation", "supposed to come", "supposed to arrive", "supposed to be delivered", "nobody came",
		"no one came", "哪天能到", "哪天到", "能到吗", "能到吧")

	// Attributes of what is sold, in any domain: what it is, has, does,
	// is made of, measures or is allowed to do.
	in(IntentProductQuestion, 2, "分贝", "国行", "港版", "美版", "行货", "简体", "繁体", "中文版", "英文版", "新鲜",
		"熟不熟", "甜不甜", "辣不辣", "好吃吗", "口味", "味道", "保鲜", "有效期", "安全吗", "有毒", "上飞机", "耗电", "省电", "配置", "性能", "尺寸是", "多高", "多少瓦", "多少度", "带不带", "有没有带",
		"decibel", "fresh", "expiry", "expiration", "best before", "coating", "nonstick", "non-stick",
		"bpa", "toxic", "safe for", "airline", "cabin", "on a plane", "pool", "sauna", "classes",
		"class schedule", "facilities", "amenities", "parking", "included in", "come with", "plans", "tiers", "which plan",
		"pro plan", "enterprise", "free plan", "trial include", "features", "availability", "available", "capacity",
		"wattage", "voltage", "edition", "region", "version of")
}

func addFamilies2() {
	in := func(intent string, w float64, words ...string) { add(kIntent, intentIndex(intent), w, words...) }

	// Money held or settled: deposits, pre-authorisations, frozen
	// funds and the checkout total are billing.
	in(IntentPaymentBilling, 3, "押金", "预授权", "deposit", "pre-authorisation", "pre-authorization", "preauthorization",
		"authorization hold", "a hold on my card")
	// Frozen funds lean to billing; the checkout is only where other
	// things (coupons, shipping fees) show.
	in(IntentPaymentBilling, 1.5, "冻结", "解冻")
	in(IntentPaymentBilling, 1, "结算", "结账", "checkout")
	// Delivery speed and where a parcel is left are shipping.
	in(IntentShipping, 3, "隔天达", "隔日达", "当天达", "快递柜", "丰巢", "菜鸟驿站", "放门口", "放在门口",
		"pickup point", "pick-up point", "parcel locker", "leave it at", "leave it with")
	// Trials and expiry belong to the subscription's lifecycle.
	in(IntentCancelSubscription, 1.5, "试用", "试用期", "自动续订", "trial", "free trial", "expires")
	// Swapping said in other words: for the right one, for another unit
	// or model ("换机", "换39", "trade it for the newer one").
	in(IntentExchange, 3, "换过来", "换机", "换台", "换一台", "换一套", "换双", "换个新", "换个好的",
		"trade", "trade in", "the right one", "the correct one", "right size", "correct size", "a new one", "another one")
	// Delivery of an order not yet placed ("if I order today", "现在下单")
	// is shipping; cancelling an order (not a plan) is the order's state.
	in(IntentShipping, 3, "if i order", "if i place", "if i buy", "今天下单", "现在下单",
		"下单的话", "今天买", "现在买")
	in(IntentOrderStatus, 3, "cancel order", "cancel this order", "cancel an order", "取消这个订单", "取消这单", "这单取消")
	// Referral rewards and cashback belong to the loyalty programme.
	in(IntentMembership, 3, "referral", "refer a friend", "invite a friend", "邀请好友", "推荐有礼", "返现", "cashback",
		"cash back")
	// Asking to be put through is asking for a person.
	in(IntentHumanRequest, 3, "connect me", "put me through", "transfer me", "转接", "叫个客服", "叫客服")
}

// intentIndex returns the index of intent in Intents.
func intentIndex(intent string) int {
	for i, s := range Intents {
		if s == intent {
			return i
		}
	}
	panic("insight: unknown intent " + intent)
}
