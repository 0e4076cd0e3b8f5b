from django.db import models

from jiefen.common.crypto import EncryptedTextField
from jiefen.common.identifiers import mask_id, mask_phone


class Party(models.Model):
    """A debtor or applicant: an individual (ID card) or an enterprise (USCC). Not a staff user.

    The identifier and phones are encrypted at rest; `id_hash` (keyed HMAC) finds a party again.
    """

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", "个人"
        ENTERPRISE = "enterprise", "企业"

    # Each institution keeps its own record of a debtor, so one bank never sees what another bank
    # learnt about the same person (phones found by contact recovery, say). The centre links the
    # records of one person through id_hash. Null: a member of the public who came to the centre.
    owner = models.ForeignKey(
        "orgs.Institution",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="parties",
        verbose_name="所属机构",
    )
    kind = models.CharField("类型", max_length=12, choices=Kind.choices, default=Kind.INDIVIDUAL)
    name = models.CharField("姓名/名称", max_length=100)
    id_number = EncryptedTextField("证件号码", blank=True, help_text="身份证号或统一社会信用代码")
    # Indexed in Meta.indexes, not with db_index: on PostgreSQL db_index on a CharField adds a second,
    # varchar_pattern_ops index for LIKE, which no one runs on a hash and every import pays for.
    id_hash = models.CharField(max_length=64, blank=True, editable=False)
    legal_rep = models.CharField("法定代表人", max_length=50, blank=True)
    region_code = models.CharField("行政区划代码", max_length=6, blank=True)
    is_vulnerable = models.BooleanField("困难群体", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "当事人"
        verbose_name_plural = "当事人"
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "id_hash"], condition=~models.Q(id_hash=""), name="party_owner_id_unique"
            )
        ]
        indexes = [models.Index(fields=["id_hash"], name="party_id_hash")]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_id(self) -> str:
        return mask_id(self.id_number)

    @property
    def primary_phone(self) -> "PartyPhone | None":
        phones = [p for p in self.phones.all() if p.is_valid]
        return phones[0] if phones else None


class PartyPhone(models.Model):
    class Source(models.TextChoices):
        IMPORT = "import", "机构导入"
        SELF = "self", "本人提供"
        RECOVERY = "recovery", "失联修复"
        STAFF = "staff", "工作人员录入"

    # No index of its own: party_phone_unique (party, number_hash) serves every look-up by party, and
    # a second index on the same column cost every phone an imported file adds.
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="phones", db_index=False)
    number = EncryptedTextField("号码")
    # Indexed in Meta.indexes (no LIKE index on PostgreSQL; see Party.id_hash).
    number_hash = models.CharField(max_length=64, editable=False)
    source = models.CharField("来源", max_length=10, choices=Source.choices, default=Source.IMPORT)
    is_valid = models.BooleanField("有效", default=True)
    opted_out = models.BooleanField("拒收短信", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_valid", "id"]
        constraints = [models.UniqueConstraint(fields=["party", "number_hash"], name="party_phone_unique")]
        indexes = [models.Index(fields=["number_hash"], name="party_phone_number_hash")]
        verbose_name = "联系电话"
        verbose_name_plural = "联系电话"

    def __str__(self) -> str:
        return self.masked

    @property
    def masked(self) -> str:
        return mask_phone(self.number)
