"""Realistic synthetic people and companies for the demo, tests and benchmarks (valid checksums)."""

from __future__ import annotations

import datetime as dt
import random

from stdnum.cn import uscc

from jiefen.common.identifiers import id_check_char

SURNAMES = (
    "陈林黄张李王吴刘蔡杨许郑谢洪郭邱曾廖赖徐周叶苏庄吕施柯颜傅卢魏戴孙肖朱胡高何罗梁宋唐韩冯邓曹彭潘袁蒋沈钟"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英建华志强文辉丽娟金玉荣海燕德福俊杰晓东雅婷思远子涵梓萱浩然雨桐佳怡嘉豪宇航欣怡明辉振华国庆春生秋菊阿水"
TRADES = [
    "贸易",
    "鞋业",
    "纺织",
    "石材",
    "茶业",
    "陶瓷",
    "食品",
    "机械",
    "服饰",
    "建材",
    "物流",
    "电子",
    "包装",
    "五金",
]
SIZES = ["", "实业", "科技", "发展"]
# Quanzhou's districts and counties (GB/T 2260), so generated IDs pass the address-code check.
QUANZHOU_REGIONS = {
    "350502": "鲤城区",
    "350503": "丰泽区",
    "350504": "洛江区",
    "350505": "泉港区",
    "350521": "惠安县",
    "350524": "安溪县",
    "350525": "永春县",
    "350526": "德化县",
    "350581": "石狮市",
    "350582": "晋江市",
    "350583": "南安市",
    "350527": "金门县",
}
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.75 else "")
    return rng.choice(SURNAMES) + given


def company_name(rng: random.Random) -> str:
    return f"泉州市{rng.choice(SURNAMES)}{rng.choice('氏鑫源泰丰盛兴隆华达宏')}{rng.choice(TRADES)}{rng.choice(SIZES)}有限公司"


def id_number(rng: random.Random, region: str | None = None) -> str:
    region = region or rng.choice(list(QUANZHOU_REGIONS))
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(0, 40 * 365))
    first17 = f"{region}{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
    return first17 + id_check_char(first17)


def uscc_number(rng: random.Random, region: str | None = None) -> str:
    region = region or rng.choice(list(QUANZHOU_REGIONS))
    body = (
        "91" + region + "".join(rng.choice(USCC_ALPHABET[:10] if i < 0 else USCC_ALPHABET) for i in range(9))
    )
    return body + uscc.calc_check_digit(body)


def mobile(rng: random.Random) -> str:
    return (
        rng.choice(["13", "15", "18", "17", "19"])
        + str(rng.randrange(0, 10))
        + f"{rng.randrange(0, 10**8):08d}"
    )
