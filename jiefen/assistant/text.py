"""Text normalisation and tokenisation for the credit-report assistant.

Pure Python (no Django). The same pipeline runs over the knowledge base when it is indexed and over
every incoming question, so any mapping here only has to be consistent, not linguistically perfect.

Pipeline (``normalize``): NFKC -> traditional to simplified -> lowercase -> common typo fixes ->
filler removal -> Chinese numerals to digits -> synonym folding -> drop punctuation and spaces.
``tokens`` then cuts the result into units (one CJK character, or one run of ASCII letters/digits)
and returns unigrams plus bigrams of those units.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

try:  # zhconv ships its own conversion table: pure Python, no network at run time.
    import zhconv as _zhconv
except ImportError:  # pragma: no cover - exercised only where zhconv is missing
    _zhconv = None

# A small fallback so traditional input still works if zhconv is not installed. It only covers
# characters that occur in credit-report questions; zhconv is the real converter.
_T2S_FALLBACK = str.maketrans(
    "徵記錄報請問錯誤異議聲華撤銷個與會於還這麼嗎麽點從後開關時間幾進銀貸款項額當產問題辦們說讓對應該麼"
    "務標註處種類區別說檔據證書體驗詢帳賬戶費幣單張條網機構風險損壞號碼壞帶從為甚麼樣實際當總經濟",
    "征记录报请问错误异议声华撤销个与会于还这么吗么点从后开关时间几进银贷款项额当产问题办们说让对应该么"
    "务标注处种类区别说档据证书体验询帐账户费币单张条网机构风险损坏号码坏带从为什么样实际当总经济",
)


def to_simplified(text: str) -> str:
    if _zhconv is not None:
        # zh-hans is script-only conversion; zh-cn would also rewrite regional vocabulary.
        return _zhconv.convert(text, "zh-hans")
    return text.translate(_T2S_FALLBACK)


def word_list(words: str) -> tuple[str, ...]:
    """Word lists are written as one space-separated string: compact to review and to diff."""
    return tuple(words.split())


# Frequent input-method slips seen in consumer questions. Kept narrow: each left side is almost
# never meant literally in this domain.
_TYPOS: dict[str, str] = {
    "正信": "征信",
    "征心": "征信",
    "政信": "征信",
    "证信": "征信",
    "异意": "异议",
    "意异": "异议",
    "个人申明": "个人声明",
    "本人申明": "本人声明",
    "逾其": "逾期",
    "愈期": "逾期",
    "征性": "征信",
    "争信": "征信",
    "蒸信": "征信",
    "异义": "异议",
    "义议": "异议",
    "个人声名": "个人声明",
    "本人声名": "本人声明",
    "查寻": "查询",
    "撤消": "撤销",
    "遇期": "逾期",
    # Pinyin written into a word to dodge platform filters ("征xin修fu", "逾qi消除"), and spelt out.
    "征xin": "征信",
    "zhengxin": "征信",
    "修fu": "修复",
    "xiufu": "修复",
    "逾qi": "逾期",
    "yuqi": "逾期",
    "查xun": "查询",
    "xyxf": "信用修复",
    "zxxf": "征信修复",
    "信用报高": "信用报告",
    "征信报高": "征信报告",
}
# "zx" is the common shorthand for 征信 ("查企业zx", "zx花了"), but only as a word of its own.
_TYPO_RE_ZX = re.compile(r"(?<![a-z])zx(?![a-z])")
# "预期" is a real word ("预期收益"), so only fix it where it reads as an overdue.
_TYPO_RE_PREQI = re.compile(r"预期(?=了|记录|还款|一天|两天|几天|\d|的记录|没还|未还)")

# Politeness and filler that carries no topic. Removing them keeps the "how much of the question did
# we explain" confidence signal honest for short questions.
_FILLERS = word_list(
    "请问一下 请问 你好 您好 麻烦问一下 麻烦问下 想问一下 想问下 问一下 问下 我想问 想咨询一下 "
    "咨询一下 咨询下 谢谢你 谢谢 多谢 急急急 在线等 求助 各位 大家好 老师好"
)
_FILLER_RE = re.compile("|".join(sorted(map(re.escape, _FILLERS), key=len, reverse=True)))

# ---------------------------------------------------------------------------------------------
# Synonym folding. Each group maps surface forms to one canonical form. Longer surface forms win
# (the regex alternation is sorted by length), which is how protected phrases work: e.g.
# "失信被执行人" maps to itself so that the shorter "失信" -> "逾期" rule never fires inside it.
# ---------------------------------------------------------------------------------------------
SYNONYM_GROUPS: dict[str, tuple[str, ...]] = {
    "征信": word_list(
        "个人信用报告 个人征信报告 信用报告 征信报告 信用记录 征信记录 人行征信 信用档案 信用情况 "
        "征信情况 信用报表 人行报告 人行的报告 央行报告 人民银行报告 人民银行的报告 征信单 征信报告单 信用报告单 个人征信记录 征信信息 信用信息 信用状况 征信状况 人行记录 央行征信 人民银行征信 小本本"
    ),
    "逾期": word_list(
        "不良记录 不良信息 逾期记录 不良 污点 黑名单 黑户 失信记录 失信 逾期了 拖欠记录 违约记录 逾期信息 逾期史 不良史 黑记录 烂账记录"
    ),
    # A court measure, not a credit-report record: protect it from the "失信" rule above.
    "失信被执行人": word_list("失信被执行人 失信名单 失信人员 失信人 法院黑名单 老赖名单 老赖"),
    "异议": word_list("申诉 纠错 纠正错误 投诉错误 异议申请 提出异议"),
    "个人声明": word_list("本人声明 个人声明 个人说明 本人说明"),
    "删除": word_list(
        "删除 删掉 删了 消除 消掉 清除 清掉 抹掉 去掉 消失 铲掉 铲除 清理 清洗 没了 弄掉 去除 抹去 清零 删去 销掉"
    ),
    # Withdrawing something one added (a statement, an application) is not deleting a record.
    "撤销": word_list(
        "撤销 撤回 取消 撤掉 撤下 作废 撤消 拿掉 收回 收不回 拿下来 撤下来 撤除 不再保留 不想保留 不想再保留 不保留"
    ),
    "洗白": word_list("洗白 漂白 弄干净 变干净"),
    "征信修复": word_list("信用修复 修复信用 修复征信 征信修复"),
    "人民银行": word_list("中国人民银行 人民银行征信中心 征信分中心 征信中心 人行 央行 人民银行"),
    "贷款": word_list("借款 借钱 贷款 借的钱"),
    "收费": word_list(
        "要不要钱 收不收费 收不收钱 要钱 收钱 交钱 付费 交费 收费 免费 多少钱 费用 付钱 掏钱 花钱 花多少钱 "
        "要花钱 要收钱 给钱 收多少 要付钱 几块钱 花钱吗 收钱不 要钱不 付费吗"
    ),
    "多久": word_list(
        "多长时间 多少天 多少年 几天 几年 多久 多长 什么时候 啥时候 几个月 几个工作日 多少个工作日 多少工作日 几日 多少日 几时 何时 啥时间 什么时间 多快"
    ),
    # "怎么办" is left alone on purpose: folding it would eat the "办" of "怎么办理".
    "怎么": word_list(
        "怎么样 怎么弄 咋弄 如何 怎样 咋 咋整 怎么搞 咋搞 咋个 怎么个 咋个搞 咋么 咋样 咋办理 怎么整"
    ),
    # Spoken forms of "oneself" and of "look".
    "自己": word_list("自个儿 自个 自家 自己"),
    "看": word_list("瞅瞅 瞅一眼 瞅 瞧瞧 瞧一眼 瞧 瞄一眼 瞄"),
    # "揣上哪些东西": the 上哪 of 哪里 must not fire inside 上哪些.
    "哪些": word_list("上哪些"),
    "什么": word_list("啥 什么"),
    "还清": word_list("还完 还清 结清 还上了 还了 全部还 扣完了 扣完 付清 还光 还干净"),
    # The paper a lender gives when a loan is paid off, in the words people use for it.
    "还清证明": word_list(
        "结清证明 结清单子 结清的单子 结清单 还清的证明 结清的证明 结清凭证 结清的条子 还完的证明"
    ),
    # Bad credit in general ("信用搞坏了"): names the subject without a record word.
    "征信不好": word_list("信用搞坏了 信用搞坏 信用坏了 信用变差 信用差 信用不好 信用烂了 征信差"),
    "不好": word_list("搞坏了 搞坏 弄坏了 弄坏 变差了 变差 烂了 搞砸了 搞砸"),
    "销户": word_list("销户 销卡 注销"),
    "代理": word_list("委托 代理 代办 代查 代打 代我 替我"),
    "配偶": word_list("老公 老婆 丈夫 妻子 爱人 配偶 媳妇 那口子 另一半 孩他爸 孩他妈"),
    "企业": word_list("公司 企业"),
    "app": word_list("软件 客户端 app 应用程序"),
    "网上": word_list("网上 线上 网站 互联网 在线"),
    "查": word_list("查询 打印 列印 调取 查看 打一份 打份 拉一份 开一份 打出来 获取"),
    "渠道": word_list("渠道 途径"),
    # Turned down: a loan, or a dispute ("异议被驳回"); the subject word tells them apart.
    "被拒": word_list(
        "被拒 不给贷款 不给我贷款 没批 批不下来 拒贷 不通过 没通过 驳回 被驳回 给否了 被否了 否了 被打回 给打回 走不通 "
        "不予更正 没改成"
    ),
    "信用卡": word_list("信用卡 贷记卡"),
    "哪里": word_list(
        "哪儿 哪里 什么地方 何处 哪个地方 哪个部门 哪个网点 在哪里 去哪里 上哪里 到哪里 在哪 去哪 上哪 到哪 哪能"
    ),
    "材料": word_list(
        "带什么证件 带什么 带啥 带哪些 材料 资料 证件 手续 证明材料 带哪些东西 带啥东西 带什么东西 揣上哪些 揣哪些 "
        "拿上哪些 要准备啥 准备啥 准备什么 需要准备"
    ),
    "可以": word_list("能不能 可不可以 能否 是否可以 行不行 可以 允许吗 允不允许 行得通吗 中不中 成不成"),
    "不满意": word_list("不满意 不服 不认可 不接受 不认同 有意见 不同意 接受不了 不服气 不能接受 不认这个"),
    # The paper an agent brings: "授权书" is not a consent question.
    "委托书": word_list("授权委托书 委托书 授权书"),
    "授权": word_list("同意 授权 允许 签字 许可 批准 签名 点头 点头同意"),
    # Querying behind one's back: the question is about consent, whatever the words.
    "未经授权": word_list(
        "未经授权 未经同意 未经允许 没经过我同意 没经我同意 没有经过我同意 不经过我同意 没经过我允许 没授权 "
        "没有授权 背着我 私自 偷偷 没经过同意 不经我同意 没问过我 瞒着我 不知情 没跟我说"
    ),
    "修改": word_list(
        "修改 更改 改动 改一下 改改 变更 重新写 重写 调整 改几句 改几个字 推翻重来 换种写法 换个写法 换个说法"
    ),
    "更正": word_list("更正 改正 纠正 改过来 改掉"),
    "银行": word_list("金融机构 放贷机构 贷款机构 报送机构 数据提供者 银行"),
    "答复": word_list("回复 答复 回应 反馈 回音 答覆"),
    "永久": word_list("一辈子 永久 永远 终身 跟一辈子 终生 一直在"),
    "是什么": word_list(
        "是什么 什么意思 啥意思 指什么 什么是 怎么回事 是干嘛的 干嘛用 有什么用 什么作用 叫什么"
    ),
    "身份证": word_list("身份证件 身份证"),
    "他人": word_list(
        "家人 亲戚 朋友 同事 子女 父母 我妈 我爸 妈妈 爸爸 儿子 女儿 别人 他人 其他人 第三方 家属 亲属 亲人 父亲 母亲 孩子 哥哥 姐姐 弟弟 妹妹 兄弟 姐妹 对象 男朋友 女朋友 老人 邻居 大爷 大妈 老爷子 老太太 老人家 闺女 公公 婆婆 岳父 岳母 丈母娘 舅舅 叔叔 阿姨 表哥 表姐 堂哥 侄子 外甥 室友 同学 老乡"
    ),
    "本人到场": word_list("本人到场 亲自去 本人去 本人必须去 本人来"),
    # Refusing to pay or hire is evidence for "do it yourself", not for the scam it names.
    "自己办": word_list(
        "不花钱 不用花钱 不想花钱 不花冤枉钱 不想花冤枉钱 不找中介 不想找中介 不用找中介 不找人 不用找人 "
        "不想找人 不靠中介 自己办"
    ),
}

# Applied after synonym folding, so they see canonical forms ("看看信用报告" -> "看看征信" -> "查征信").
_POST_FOLD: dict[str, str] = {
    "看看自己的征信": "查自己的征信",
    "看一下征信": "查征信",
    "看下征信": "查征信",
    "看看征信": "查征信",
    "看征信": "查征信",
}
_POST_FOLD_RE = re.compile("|".join(sorted(map(re.escape, _POST_FOLD), key=len, reverse=True)))
# "打/拉/开 (一份/个) 征信" is asking for the report: it becomes 查征信 and keeps the domain word 征信.
_GET_REPORT_RE = re.compile(r"(?:打|拉|开|调)(?:一份|一下|个|份|下)?(?=征信)")
# "看(看/一下/一眼) (我/自己)(的) 征信" is asking for one's report too ("看"  also stands for 瞅/瞧 here).
_LOOK_REPORT_RE = re.compile(r"看(?:看|一下|下|一眼)?(?:我|俺|自己|我自己)?的?(?=(?:企业|他人|配偶)?的?征信)")

_BASE_SYNONYMS: dict[str, str] = {
    surface: canon for canon, surfaces in SYNONYM_GROUPS.items() for surface in surfaces
}
# Questions asked half in English ("credit report 上面的 overdue 记录多久消"): the common words read as
# the Chinese word they stand for, folded like it. Spaces are gone by then, so "credit report" is
# "creditreport", found before "credit".
_ENGLISH: dict[str, str] = {
    **dict.fromkeys(
        word_list("creditreports creditreport creditrecord credithistory creditfile credit"), "征信"
    ),
    **dict.fromkeys(word_list("creditcards creditcard"), "信用卡"),
    **dict.fromkeys(word_list("overdue latepayments latepayment delinquency defaulted default"), "逾期"),
    **dict.fromkeys(word_list("disputes dispute appeal objection"), "异议"),
    "personalstatement": "个人声明",
    **dict.fromkeys(word_list("removed remove deleted delete erase"), "删除"),
    **dict.fromkeys(word_list("fees fee charges charge"), "收费"),
    "free": "免费",
    **dict.fromkeys(word_list("authorization authorisation consent"), "授权"),
    **dict.fromkeys(word_list("banks bank"), "银行"),
    "mortgage": "房贷",
    "landlord": "房东",
    "howlong": "多久",
    "repair": "修复",
}
_BASE_SYNONYMS.update({en: _BASE_SYNONYMS.get(zh, zh) for en, zh in _ENGLISH.items()})

_CN_DIGITS = dict(zip("零〇一二两三四五六七八九", (0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
# A Chinese numeral only becomes a digit where it counts something; "一下", "一般" stay as they are.
_CN_NUM_RE = re.compile(r"[零〇一二两三四五六七八九十百千]+(?=[万年次天日个月元块笔张期条岁周号])")
_WAN_RE = re.compile(r"(\d+(?:\.\d+)?)万")
_KEEP_RE = re.compile(r"[0-9a-z\u3400-\u4dbf\u4e00-\u9fff]+")
_UNIT_RE = re.compile(r"[0-9]+|[a-z]+|[\u3400-\u4dbf\u4e00-\u9fff]")


def _cn_to_int(s: str) -> int | None:
    if all(ch in _CN_DIGITS for ch in s):
        if len(s) == 1:
            return _CN_DIGITS[s]
        return int("".join(str(_CN_DIGITS[ch]) for ch in s))
    total, cur = 0, 0
    for ch in s:
        if ch in _CN_DIGITS:
            cur = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (cur or 1) * _CN_UNITS[ch]
            cur = 0
        else:
            return None
    return total + cur


def _numbers(text: str) -> str:
    def cn(m: re.Match[str]) -> str:
        value = _cn_to_int(m.group(0))
        return m.group(0) if value is None else str(value)

    text = _CN_NUM_RE.sub(cn, text)
    # "1万" and "10000" must meet; amounts are compared as plain integers.
    text = _WAN_RE.sub(lambda m: str(int(float(m.group(1)) * 10000)), text)
    return text.replace("块钱", "元").replace("块", "元")


class Normalizer:
    """Normaliser with an optional extra synonym map (from a knowledge-base file)."""

    def __init__(self, extra_synonyms: Mapping[str, Iterable[str]] | None = None) -> None:
        table = dict(_BASE_SYNONYMS)
        for canon, surfaces in (extra_synonyms or {}).items():
            canon_n = self._pre(canon)
            for surface in [canon, *surfaces]:
                s = self._pre(surface)
                if s:
                    table[s] = canon_n
        self._table = table
        self._syn_re = re.compile("|".join(sorted(map(re.escape, table), key=len, reverse=True)))

    @staticmethod
    def _pre(text: str) -> str:
        text = _TYPO_RE_PREQI.sub("逾期", _plain(text))
        text = _FILLER_RE.sub("", text)
        text = _numbers(text)
        # Keep a separator between runs only where two digit runs would otherwise merge ("1 2 3").
        return re.sub(r"(?<=\d) (?=\d)", "|", " ".join(_KEEP_RE.findall(text))).replace(" ", "")

    def normalize(self, text: str) -> str:
        text = self._pre(text)
        text = self._syn_re.sub(lambda m: self._table[m.group(0)], text)
        text = _GET_REPORT_RE.sub("查", text)
        text = _LOOK_REPORT_RE.sub("查", text)
        return _POST_FOLD_RE.sub(lambda m: _POST_FOLD[m.group(0)], text)

    def tokens(self, text: str) -> list[str]:
        return grams(self.normalize(text))


def _plain(text: str) -> str:
    """NFKC, simplified, lowercase, input-method slips and pinyin shorthand fixed: the first step of
    both normalisations."""
    text = unicodedata.normalize("NFKC", text)
    text = to_simplified(text).lower()
    for wrong, right in _TYPOS.items():
        if wrong in text:
            text = text.replace(wrong, right)
    return _TYPO_RE_ZX.sub("征信", text)


def light_normalize(text: str) -> str:
    """NFKC + simplified + lowercase, punctuation kept: for pattern rules (scam detection)."""
    return _numbers(re.sub(r"\s+", "", _plain(text)))


def units(normalized: str) -> list[str]:
    return _UNIT_RE.findall(normalized)


# Function characters: as unigrams (or as a bigram of two of them) they only add noise to BM25.
STOP_CHARS = frozenset("的了吗么嘛呢吧啊呀哦嗯我你您是在")


def grams(normalized: str) -> list[str]:
    """Unigrams plus bigrams of units. Bigrams carry word identity; unigrams rescue typos."""
    out: list[str] = []
    for segment in normalized.split("|"):  # "|" marks a boundary no bigram may cross
        u = units(segment)
        out += [x for x in u if x not in STOP_CHARS]
        out += [
            u[i] + u[i + 1] for i in range(len(u) - 1) if not (u[i] in STOP_CHARS and u[i + 1] in STOP_CHARS)
        ]
    return out


_DEFAULT: Normalizer | None = None


def default_normalizer() -> Normalizer:
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Normalizer()
    return _DEFAULT


def normalize(text: str) -> str:
    return default_normalizer().normalize(text)


def tokens(text: str) -> list[str]:
    return default_normalizer().tokens(text)
