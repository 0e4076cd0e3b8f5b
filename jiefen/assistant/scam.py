"""Rule-based detector for "credit repair" scams and paid complaint agents. Pure Python.

Independent of the matcher so that complaint forms and case intake can call it on free text.

The rules look for combinations, not single words: a *target* (altering or deleting credit records:
"修复/洗白/删除逾期…") or an *agent service* (代理维权/代理投诉/代理退保/债务优化/反催收…) together with
money, a success guarantee, a third party offering the service, a contact hook, or the writer's own
intent to hire someone. Honest questions mention the same words without those companions ("征信修复
是骗局吗", "怎么免费申请异议", "一次性信用修复要交钱吗"), and money is ignored where it is negated
("不想花冤枉钱") or asked about an official process. A handful of strong phrases (铲单, 征信修复公司,
内部渠道, 反催收…) flag on their own unless the sentence asks whether they are legitimate, warns
against them or reports being a victim. See docs/assistant.md for the full rule table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .learned import ScamModel, default_scam_model
from .text import light_normalize

SCAM_HEADER = (
    "【风险提示】收费“征信修复”“洗白征信”、收费代理维权都是骗局或违规中介，"
    "请不要付款，也不要交出身份证、银行卡、手机卡和验证码。"
)
FREE_CHANNELS = (
    "真实准确的征信记录任何机构都无权删除，错误信息的更正全部免费，四条免费维权渠道："
    "一、向报送信息的机构（银行、贷款机构）申请更正；"
    "二、向人民银行征信中心或当地征信分中心提出异议；"
    "三、向人民银行分支机构或金融监管部门投诉；"
    "四、向人民法院起诉。"
)
SCAM_WARNING = SCAM_HEADER + FREE_CHANNELS
_CHANNELS_MARK = "四条免费维权渠道"


def with_scam_warning(answer: str) -> str:
    """Add the warning to an answer; the four channels only if the answer does not list them already."""
    if not answer:
        return SCAM_WARNING
    if _CHANNELS_MARK in answer:
        return SCAM_HEADER + "\n\n" + answer
    return answer + "\n\n" + SCAM_WARNING


@dataclass
class ScamResult:
    flagged: bool
    reasons: list[str] = field(default_factory=list)
    score: float = 0.0


def _re(*parts: str) -> re.Pattern[str]:
    """Alternatives, passed separately or space-separated in one string (matched text has no spaces)."""
    return re.compile("|".join(alt for part in parts for alt in part.split()))


# Things a record can be: the object of a deletion.
_RECORD = r"(征信|征x|信用|逾期|不良|黑名单|污点|呆账|记录|失信|黑户|网贷|查询记录|花了|黑了)"
# Verbs that always mean "alter the credit record" in this domain.
_STRONG_VERB = r"(修复|洗白|漂白|铲单|铲掉|铲除|洗掉|洗干净|洗一下|洗征信|变白|改数据|申诉掉)"
# Verbs that do so only near a record noun ("删除个人声明" is legitimate).
_WEAK_VERB = (
    r"(删除|删掉|删了|删|消除|消掉|消了|清除|清掉|清空|抹掉|抹去|去掉|撤销|撤掉|处理掉|处理|优化|美化|恢复"
    r"|弄干净|变干净|干净|清零|清洗|洗|弄掉|搞掉|弄没|搞没|弄好|搞定|改成|改为|改掉|去除|消(?!费))"
)
TARGET = _re(
    _STRONG_VERB,
    _RECORD + r".{0,10}?" + _WEAK_VERB,
    _WEAK_VERB + r".{0,10}?" + _RECORD,
)
# Paid intermediaries that are not about deletion: complaints, surrenders, negotiation for a cut.
AGENT = _re(
    r"代理(?!人).{0,6}(维权|投诉|退保|协商|停息|挂账|异议|征信|修复|减免|还款|分期) (异议|征信|维权|投诉|退保)代理",
    r"代办(异议|征信|修复|1次性|一次性|停息|退保|投诉|协商)",
    r"(停息挂账|停息|挂账|退保|异议|修复|投诉|协商|减免|分期)(代办|代理|代谈)",
    r"帮(你|您|客户|大家)?.{0,8}(投诉|维权|退保|减免|停息|挂账|协商减免)",
    r"帮(你|您|客户|大家)?.{0,4}(跟|和|与).{0,6}(谈|协商)",
    r"债务(优化|规划|重组中介|重组公司|咨询公司) 反催收 包装.{0,6}(资料|流水|征信|下款|贷款|负债)",
    r"(停催|停止催收).{0,8}(收费|会员|服务费)",
    # A seller's offer to negotiate for the debtor ("可协商停息分期", "上岸找我"), a packaging fee.
    r"(可|能|帮)(你|您)?协商(停息|分期|减免|还款|延期) 上岸找我 包装费",
    r"(出具|代开|开具|伪造|做)(假的?)?(困难|贫困|病情|失业|收入)?证明",
    # A seller of negotiation ("停息挂账找我", "法务团队协商") or of a made-up borrower ("包装成事业单位").
    r"(停息挂账|停息|挂账|协商还款|延期还款|减免|分期|上岸|债务|负债)找我 法务(团队|协商|公司|机构|中心)",
    r"包装(成|为)?.{0,10}(资料|流水|征信|下款|贷款|负债|贷|单位|工作|身份|收入|公司)",
)
# Strong phrases: flag alone unless the sentence asks about legitimacy, warns, or reports a loss.
STRONG = _re(
    # "征信机构" is the law's name for a licensed credit bureau, not a repair shop.
    r"铲单 (修复|洗白|铲单)(公司|机构|团队|服务|中介|工作室|师) (征信|信用)(公司|团队|服务|中介|工作室|师)",
    r"内部(渠道|关系|操作|人员) 反催收 代理退保",
    # Written in English (spaces are gone by now): "credit repair agency", "fix your credit".
    r"creditrepair repaircredit creditfix fixcredit fixyourcredit cleancredit creditclean",
    r"征信优化 优化征信 信用优化 报告优化 修复征信包 黑客",
    r"(人行|央行|银行|征信中心)(里|内部)?有(关系|人|熟人)",
    r"(收徒|带徒|教|培训|招代理|加盟).{0,6}(征信修复|修复征信|信用修复|修复信用|铲单|洗白) 黑户.{0,4}(也能|都能|照样|包)(下款|贷款|借到|下卡)",
)
GUARANTEE = _re(
    r"包(成功|过|下款|下卡|批|贷|你|您|办|消|删|通过) 百分(之)?百 100% 保证.{0,6}(成功|删|消|去|弄|搞|处理|下款|通过|不展示) 成功率",
    r"不成功不(收|要)(费|钱) 无效(全额)?退款 不成功(全额)?退(款|钱|费) 全额退 (有|走|找)(渠道|关系|门路) 特殊渠道",
    r"内部.{0,3}(渠道|关系|操作|人员|朋友|人|资源) 先办事后(付|收)",
    r"当天(见效|处理|删除|消除|搞定) \d+天(内)?(消除|删除|见效|搞定|处理|删) 秒(删|消|批)",
    r"快速(铲|删|消|修复|处理|洗|提升) 一周内(删除|消除) 都能处理 全部(清除|删除|消除)",
    r"(1|一)次(搞定|解决|处理好|清零)(?!还是) 包搞定 包教包会",
    # Success claimed in numbers ("已帮上千人协商成功") or as instant ("征信立马变白").
    r"(已|已经)(帮|为|成功|协助).{0,6}(人|客户|位|户) (上千|上万|数千|几千|上百)(人|位|客户|个客户).{0,6}成功",
    r"(立马|立刻|马上|立即|秒)(变白|删|消|清|洗|下款|到账)",
)
_AMOUNT = r"(\d+(元|万|千|百|k)|[一二两三四五六七八九十几]+[千万百])"
_NOT = r"(不能|不可以|不会|不该|不应该|不|没|无|免|别|不用|不想|不要|无需|不需要|不必|不肯|拒绝)"
# Money stated as a fact or a price; question forms are handled separately.
# An amount is a price only next to a paying verb or fee word; "5000元的逾期" is the debt itself.
MONEY_FIRM = _re(
    r"定金 订金 押金 佣金 提成 抽成 分成 报酬 酬劳 酬金 会员费 前期费 服务费 中介费 好处费 辛苦费 面议 价钱好说 价格好说 有偿 尾款",
    r"学费 材料费 资料费 加急费 解冻费 保证金",
    # A cut of what is recovered ("成功后抽三成", "拿2成").
    r"(抽|拿|分|收)(\d+|[一二两三四五六七八九])成",
    r"先付 先交 先收 付款后 先付款 收取 按.{0,6}收费 成功后(收费|付款|付费) 成功(后|再)(付|收) \d+% \d+个点",
    r"(每|一|1)条(收|\d) \d+(元)?(一|1)条 钱不是问题 多少钱都(行|可以) 价钱可以商量 价格可以商量 收费透明 费用透明",
    r"(愿意|可以|我)(付|给|出)(钱|费|好处) 我出钱 给钱 (给|交|付|转)(我|你|他|她|对方)?\d{3,} 费用好商量 价格合适",
    r"(收|交|付|花|给|费|价|要|只需|仅需|每条|定金|一条|拍下)[^,，。;；!！?？]{0,3}" + _AMOUNT,
    _AMOUNT + r"(的)?(定金|订金|服务费|手续费|中介费|费用|就能|就可以|搞定|包)",
)
MONEY_SOFT = re.compile(r"(收费|花钱|交钱|给钱|付钱|要钱|多少钱|费用|手续费|价格|报价|掏钱|交费|付费|价钱)")
# A money word that ends the question ("办下来得花多少钱") asks a price; it does not state one.
_QUESTION_AFTER = re.compile(r"^(.{0,3}(吗|么|嘛|不|没|\?|？|呢)|[?？。!！]*$)")
_QUESTION_BEFORE = re.compile(r"(要不要|需不需要|需要|会不会|是否|收不收|有没有|要|用不用)$")
_REFUSED_COMPANY = (
    r"(花钱|交钱|付钱|掏钱)?(去)?(找|信|相信|理|联系|用)(什么|那些|这些|这种|那种)?(征信|信用)?(修复|洗白)"
    r"(公司|机构|中介|团队)"
)
# Negated money or negated hiring is the opposite of a scam signal: strip before matching.
NEGATED = _re(
    # "不想(花钱)找修复公司，自己能改吗": refusing the company is the opposite of hiring it. Before the
    # negated money below, which would otherwise take "不想花钱" and leave "找修复公司".
    _NOT + _REFUSED_COMPANY,
    _NOT + r"(花|交|收|付|给|要|掏|出)?(冤枉|任何|一分)?(钱|费)",
    _NOT + r"(找|信|相信|理|联系)(人|中介|公司|机构|谁|代理|他们|这些|那些)",
    r"免费",
)
# The writer wants to hire somebody to do it.
HIRE = _re(
    r"找(人(?!民)|谁|关系|中介|公司|机构|门路|渠道|黑客|内部|个|一个|懂行) 找[“\"']?(老师|大师|师傅) 请(人|个)",
    r"(谁|有没有人|哪里|哪儿|哪个|求个)(大神|高手|能人|牛人|大佬|师傅)?(能|可以|会)?(帮|办|弄|处理|删|消|洗|修|把) 想花钱 花钱(把|让|帮|找|请) 中间人",
    r"(有没有|有啥|有什么)(门路|路子|渠道|关系) 谁有(门路|路子|渠道|关系)",
)
# The writer says they would pay ("我想花钱找人", "给钱也行"): stated intent, even beside "靠谱".
HIRE_PAID = _re(
    r"(想|愿意|打算|准备|可以)(花钱|出钱|给钱|付钱|掏钱) (出|给|付|花|掏)钱也(行|可以) 多少钱都(行|可以|愿意)"
)
# A third party claims the service, or invites contact.
CLAIM = _re(
    r"(有人|中介|公司|机构|客服|专员|朋友|网上|广告|他们|对方|老师|师傅|中间人)[^,，。;；!！?？]{0,4}"
    r"(说|称|声称|承诺|表示|保证|讲).{0,6}(能|可以|可|会|帮)",
    r"(一个人|有个人|某人|那人|这人|那个人)(说|称|声称|自称).{0,6}(能|可以|可|会|帮)",
    r"(私聊|私信|加v|加微|vx|微信|qq|联系(我|我们|方式)|有需要的?联系|咨询热线|详聊|电联|(?<![a-z])(v|wx)[:：])",
    # Obfuscated contacts and SMS-advert openers ("详询V信", "扣扣群", "恭喜您获得…资格").
    r"详询 详情咨询 咨询我 私我 v信 威信 薇信 扣扣 q群 qq群 加群 进群 加我 恭喜(您|你)",
    # An advert's link ("点击链接了解详情"); "短信让我点链接" reports a message, it does not offer.
    r"链接了解 点击了解 点击查看详情 详情点击 回t退订 退订回t",
    r"我们(可以|能|专门|专业|有|帮) 专业(处理|修复|团队|征信|洗|铲|删|代理) (可以|能)帮(你|您|忙)",
    r"找我们 工作室 本公司 我们公司 承接 全国可办 欢迎咨询 诚信经营 团队 了解一下 签合同",
)
# What a paid credit service is about, for an advert that names no deletion ("网贷黑？先交定金，加V").
CREDIT_BUSINESS = re.compile(
    r"(征信|征x|逾期|网贷|信用卡|贷款|下款|放款|批款|审批|黑户|债务|欠款|催收|上岸|负债|额度|停息|挂账|协商还款|减免)"
)
# Legit context that makes a money *question* innocent ("一次性修复会不会收费").
LEGIT_CONTEXT = _re(
    r"一次性 1次性 免申即享 官方 政策 人民银行 人行 央行 异议 个人声明 本人声明",
)
# Asking whether something is legitimate, or warning against it: soft signals do not count then.
SKEPTIC = _re(
    r"骗 (?<![有找家位])靠谱 有没有用 有用没 管用吗 管不管用 可信 可靠 靠得住 真的假的 是真的 是不是真的 有没有真的 真有这",
    r"合法(的)?(吗|不|么) 合不合法 是否合法 违法 犯法 正规(的)?(吗|不|么) 正不正规 是否正规 防范 识别 警惕 谨防 小心 提防",
    r"举报 报警 诈骗 坑人 坑钱 忽悠 智商税 割韭菜 套路",
    r"是什么 什么意思 怎么回事 是啥 啥意思 有用吗 能信 信得过",
    # Asking whether it works or is needed at all ("花钱洗白真的能行吗", "修复需要花钱找人吗") questions
    # the practice; an advert states it. The question form (吗/么 at the end) is what tells them apart.
    r"真的.{0,8}(吗|么|不)[?？。!！]*$ 能行吗 行得通吗 有效吗 有效果吗 有没有正规 正规的?(机构|公司|渠道)吗",
    r"(需要|需不需要|有必要|必须)(花钱|找人|找中介|交钱|付费|请人).{0,8}(吗|么)[?？。!！]*$ 要不要(花钱|找人|找中介)",
    # "花钱能把征信洗干净吗", "征信能花钱修复吗": whether paying works at all, asked, not offered.
    r"(花钱|交钱|付钱|给钱)(就)?(能|可以)[^,，。;；]{0,12}(吗|么)[?？。!！]*$",
    r"(能|可以)(花钱|交钱|付钱)[^,，。;；]{0,10}(吗|么)[?？。!！]*$",
)
# Reporting a loss or reporting the offer to the police: the person needs the victim's answer, not a
# warning against paying.
VICTIM = _re(
    r"被.{0,8}骗 骗了(我|钱|\d) 上当 要回 追回 退钱 联系不上 跑路 (人|他|他们|中介|公司|就)跑了 呃(咗|了) 补救 被坑 举报 报警 报案 把我拉黑 拉黑了我 人找不到 找不到人"
)
# A sceptical question about a kind of offer in general ("好多广告说能删逾期", "收好几千那种"), not a
# particular offer relayed: its claim or vague price does not make it a pitch.
GENERAL = _re(
    r"(好多|很多|许多|不少|各种|到处|网上都|满大街|经常有|总有|老有|一堆)(的)?(广告|人|中介|公司|短信|电话|机构|视频)",
    r"(那种|这种|那类|这类|之类)(的)?[?？。!！吗呢啊]*$ ^(那种|这种|那类|这类)",
)
# The institution admits its own reporting error and will correct it: the correction the law provides.
LEGIT_FIX = _re(r"(承认|认了|确认|说是)(是)?.{0,6}(报错|弄错|搞错|错报|失误|系统问题|系统出|系统故障)")
ABOUT_PRACTICE = _re(
    r"(有什么|有哪些|存在哪些|有啥|什么)(法律)?风险 为(什么|啥)(都|老|总)?说 (怎么|如何)劝 劝劝 (是怎么|怎么)骗 骗人的套路",
    r"(是一回事|一样)(吗|么|吧) (有什么|有啥)(区别|不一样|不同) 区别在哪 不一样吧",
    r"有什么坑 有啥坑 (存不存在|有没有这回事) 只是好奇 没有要找 我没敢 被我(赶走|拒绝|骂走|挂了) 提醒(兄弟|大家|家人|朋友|群里)",
    r"(?<!还)(?<!还是)(没|没有|并没有|才不会)(交|给|答应|理|理他|理会|同意|签|转)(钱|他|她|他们|对方)?[,，。.;；!！]",
)
OFFICIAL_HELPER = _re(r"调解中心 调解员 调处中心 助航站 信用中国 行政处罚")
IMPOSTOR = _re(r"冒充 自称 假冒 说是 说他是 说自己是")
_NOT_VICTIM = re.compile(
    r"(不用|不必|无需|用不着|比)(去)?报(警|案)|帮(我|你|您)(跟|向|找)?(银行)?要回|要回来?(的钱)?(按|给|分|提)"
    r"|不(成功|下款|通过|办成|批)(就)?(全额)?退(钱|款|费)|(怕|担心|害怕|以免|防止|不想)被.{0,4}骗"
)
# "帮你投诉银行要回利息" is an agent's pitch, not a victim's report.
_AGENT_PROMISE = re.compile(r"帮(你|您|客户|大家)")


def _money(text: str) -> tuple[bool, bool, bool]:
    """(concrete, firm, question-only) money signals; concrete = a price, deposit or commission."""
    if MONEY_FIRM.search(text):
        return True, True, False
    firm = asked = False
    for m in MONEY_SOFT.finditer(text):
        after = text[m.end() :]
        before = text[: m.start()]
        if _QUESTION_AFTER.match(after) or _QUESTION_BEFORE.search(before):
            asked = True
        else:
            firm = True
    return False, firm, asked and not firm


_DEFAULT_MODEL = object()


def detect_scam(text: str, model: ScamModel | None | object = _DEFAULT_MODEL) -> ScamResult:
    """Flag credit-repair scam pitches, paid-deletion requests and paid complaint agents.

    ``model`` is the learned scam model (``learned.ScamModel``); by default the one trained on the
    shipped labelled questions and scam corpus, ``None`` for the rules alone."""
    if not text or not text.strip():
        return ScamResult(False, [], 0.0)
    t = light_normalize(text)
    skeptic = bool(SKEPTIC.search(t))
    # "不成功退钱" is a promise and "比报警快" a sales line, not a victim's words.
    victim = bool(VICTIM.search(GUARANTEE.sub("", _NOT_VICTIM.sub("", t))))
    # A guarantee is read before negations are removed: "不成功不收费" is a promise, not a refusal.
    guarantee = bool(GUARANTEE.search(t))
    t_clean = NEGATED.sub("", t)
    strong = bool(STRONG.search(t_clean))
    target = bool(TARGET.search(t_clean))
    agent = bool(AGENT.search(t_clean))
    money_concrete, money_firm, money_asked = _money(t_clean)
    hire = bool(HIRE.search(t_clean))
    claim = bool(CLAIM.search(t_clean))
    legit = bool(LEGIT_CONTEXT.search(t_clean))
    # A sceptical question with no concrete offer ("花钱修复征信是不是骗人的", "找人修复征信靠得住吗") is a
    # question about the scam, answered by the anti-scam entry, not a pitch: soft signals do not count.
    if skeptic and GENERAL.search(t_clean) and not re.search(r"\d", t_clean):
        claim = money_concrete = False
    if LEGIT_FIX.search(t_clean):
        claim = hire = False
    if skeptic and not (money_concrete or guarantee or claim or agent):
        money_firm = money_asked = hire = False
    hire_paid = bool(HIRE_PAID.search(t_clean))
    if model is _DEFAULT_MODEL:
        model = default_scam_model()
    learned = model if isinstance(model, ScamModel) and model.terms is not None else None
    margin = learned.score(text) if learned is not None else 0.0
    # The vetoes below hold unless the learned model is sure the message is a pitch: an offer with a
    # price relayed as "怎么劝他" or "能找吗" about 信用中国 is still an offer (both missed at first
    # contact by the vetoes alone, see docs/assistant.md).
    sure = learned is not None and margin > learned.sure
    # The centre's own mediators and rescue station (or the state's credit-repair procedure for
    # administrative penalties) asked about without a price or a promise: a question about a
    # free service, not a pitch, unless someone claims to be them.
    official = bool(OFFICIAL_HELPER.search(t_clean)) and not (
        guarantee or IMPOSTOR.search(t) or (money_concrete and re.search(r"\d", t_clean))
    )
    if official and not sure:
        return ScamResult(False, [], 0.0)
    # An intermediary's offer is flagged even when the person asks whether to believe it ("中介说能删
    # 逾期，可信吗"): that is exactly when the warning helps. A victim's report is never a pitch.
    if victim and not (agent and _AGENT_PROMISE.search(t_clean)) and not sure:
        return ScamResult(False, [], 0.0)
    # Nor is a question about the practice itself ("代理退保为啥说有风险", "怎么劝我爸别信") or from
    # someone who turned an offer down ("有人让我交1800，我没交，正规渠道有哪些"), unless it carries
    # a seller's promise.
    if ABOUT_PRACTICE.search(t) and not (guarantee or _AGENT_PROMISE.search(t_clean) or sure):
        return ScamResult(False, [], 0.0)

    reasons: list[str] = []
    subject = target or agent
    if subject and guarantee:
        reasons.append("承诺包成功、内部渠道或快速删除")
    if subject and money_firm:
        reasons.append("为删除/修复记录或代理维权收取费用")
    if target and claim:
        reasons.append("第三方声称能删除或修复征信记录")
    if target and (hire or hire_paid):
        reasons.append("想找人或花钱处理征信记录")
    if agent and (money_asked or claim or hire):
        reasons.append("代理维权、代理投诉、代理退保或债务中介")
    if target and money_asked and not legit:
        reasons.append("询问付费删除或修复征信记录的价格")
    if strong and not skeptic:
        reasons.append("使用“铲单”“征信修复公司”“内部渠道”等黑灰产话术")
    # A price and a contact hook on a credit subject is an advert for a paid service, whatever it
    # promises in words the rules above do not know.
    # Likewise a fee or a contact hook beside "internal channels"/"guaranteed" on a credit subject
    # ("有渠道走内部审批，先付2万手续费就能下款").
    if not reasons and CREDIT_BUSINESS.search(t_clean) and money_concrete and (claim or guarantee):
        reasons.append("有偿办理征信、贷款或债务业务的广告")
    # The learned model catches pitches in wordings no rule above names; the vetoes above (a victim's
    # report) still hold. And when it is sure a message is no pitch, it overrules the rules: their
    # words are there, but the message as a whole reads like the questions people ask about the scam
    # ("网上那些说能洗白征信的是真是假").
    if learned is not None:
        if reasons and margin <= learned.overrule:
            reasons = []
        if not reasons and margin > learned.threshold:
            reasons.append("与已知的征信修复、代理维权等骗局说法高度相似")
    signals = sum((target, agent, guarantee, money_firm, hire, claim, strong))
    score = min(1.0, 0.2 * signals + (0.4 if reasons else 0.0))
    return ScamResult(bool(reasons), reasons, round(score, 2))
