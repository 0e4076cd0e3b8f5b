"""SMS gateways at the SDK boundary (fake SDK clients), templates, opt-out and delivery receipts."""

import json
from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured

from jiefen.common.errors import ApplicationError
from jiefen.outreach import backends
from jiefen.outreach.backends import DeliveryReport, TemplateRef
from jiefen.outreach.models import OutboundMessage, SmsOptOut, SmsTemplate
from jiefen.outreach.providers import AliyunSmsBackend, TencentSmsBackend
from jiefen.outreach.services import (
    sms_delivery_apply,
    sms_delivery_refresh,
    sms_inbound,
    sms_send,
    sms_send_templated,
    sms_template_save,
)
from jiefen.outreach.templates import render, template_check


class FakeAliyun:
    """Stands in for alibabacloud_dysmsapi20170525.client.Client: records requests, answers like it."""

    def __init__(self, code="OK"):
        self.code = code
        self.sent = []
        self.queries = []

    def send_sms(self, request):
        self.sent.append(request)
        return SimpleNamespace(
            body=SimpleNamespace(
                code=self.code, message="触发号码天级流控", biz_id="900619746936498440^0", request_id="r"
            )
        )

    def query_send_details(self, request):
        self.queries.append(request)
        detail = SimpleNamespace(send_status=3, err_code="DELIVERED")
        return SimpleNamespace(
            body=SimpleNamespace(sms_send_detail_dtos=SimpleNamespace(sms_send_detail_dto=[detail]))
        )


class FakeTencent:
    """Stands in for tencentcloud.sms.v20210111.sms_client.SmsClient."""

    def __init__(self, code="Ok"):
        self.code = code
        self.sent = []

    def SendSms(self, request):  # noqa: N802 — the SDK's method name
        self.sent.append(request)
        status = SimpleNamespace(
            Code=self.code,
            Message="send success",
            SerialNo="2433:1234",
            PhoneNumber=request.PhoneNumberSet[0],
        )
        return SimpleNamespace(SendStatusSet=[status])

    def PullSmsSendStatus(self, request):  # noqa: N802
        return SimpleNamespace(
            PullSmsSendStatusSet=[
                SimpleNamespace(SerialNo="2433:1234", ReportStatus="FAIL", Description="空号")
            ]
        )


@pytest.fixture
def gateway_env(monkeypatch):
    monkeypatch.setenv("JIEFEN_SMS_SIGN", "泉州调处中心")
    monkeypatch.setenv("JIEFEN_TENCENT_SMS_APP_ID", "1400006666")
    monkeypatch.setenv("JIEFEN_SMS_TEXT_TEMPLATE", "SMS_TEXT_1")


def test_the_aliyun_adapter_builds_the_sdk_request(gateway_env):
    fake = FakeAliyun()
    backend = AliyunSmsBackend(client=fake)
    ref = TemplateRef(aliyun_code="SMS_123", params={"name": "张*明", "amount": "¥1,000.00"})
    result = backend.send("13812345678", "【解纷】张*明您好", template=ref)
    assert result.ok and result.provider_id == "900619746936498440^0" and not result.delivered
    request = fake.sent[0]
    assert type(request).__name__ == "SendSmsRequest"
    assert (request.phone_numbers, request.sign_name, request.template_code) == (
        "13812345678",
        "泉州调处中心",
        "SMS_123",
    )
    assert json.loads(request.template_param) == {"name": "张*明", "amount": "¥1,000.00"}


def test_plain_text_goes_through_the_one_variable_template_without_our_signature(gateway_env):
    fake = FakeAliyun()
    AliyunSmsBackend(client=fake).send("13812345678", "【解纷】您的验证码是123456")
    assert fake.sent[0].template_code == "SMS_TEXT_1"
    assert json.loads(fake.sent[0].template_param) == {"content": "您的验证码是123456"}


def test_an_aliyun_refusal_is_a_failed_send_with_its_code(gateway_env):
    result = AliyunSmsBackend(client=FakeAliyun(code="isv.BUSINESS_LIMIT_CONTROL")).send("13812345678", "x")
    assert not result.ok and result.error.startswith("isv.BUSINESS_LIMIT_CONTROL")


def test_the_tencent_adapter_builds_the_sdk_request(gateway_env):
    fake = FakeTencent()
    backend = TencentSmsBackend(client=fake)
    result = backend.send(
        "13812345678",
        "x",
        template=TemplateRef(tencent_id="1110", params={"name": "张*明", "hotline": "0595-12345"}),
    )
    assert result.ok and result.provider_id == "2433:1234"
    request = fake.sent[0]
    assert type(request).__name__ == "SendSmsRequest"
    assert request.PhoneNumberSet == ["+8613812345678"] and request.SmsSdkAppId == "1400006666"
    assert request.TemplateId == "1110" and request.TemplateParamSet == ["张*明", "0595-12345"]
    failed = TencentSmsBackend(client=FakeTencent(code="LimitExceeded.PhoneNumberDailyLimit")).send(
        "13812345678", "x"
    )
    assert not failed.ok and "LimitExceeded" in failed.error


def test_an_adapter_without_its_configuration_fails_loudly(monkeypatch):
    monkeypatch.delenv("JIEFEN_SMS_SIGN", raising=False)
    with pytest.raises(ImproperlyConfigured, match="JIEFEN_SMS_SIGN"):
        AliyunSmsBackend(client=FakeAliyun())


def test_sms_send_keeps_its_behaviour_on_the_outbox(db):
    message = sms_send(to="138 1234 5678", text="您的验证码是654321", purpose="otp", secret="654321")
    assert message.status == "delivered" and message.backend == "outbox"
    assert message.text == "【解纷】您的验证码是654321"
    with pytest.raises(ApplicationError):
        sms_send(to="12345", text="x", purpose="otp")


def test_sms_send_through_a_real_gateway_masks_the_secret(db, settings, gateway_env, monkeypatch):
    fake = FakeTencent()
    monkeypatch.setattr(TencentSmsBackend, "_client", staticmethod(lambda: fake))
    settings.JIEFEN_SMS_BACKEND = "jiefen.outreach.providers.TencentSmsBackend"
    backends._backend = None
    try:
        message = sms_send(to="13812345678", text="您的验证码是654321", purpose="otp", secret="654321")
    finally:
        backends._backend = None
    assert message.status == "sent" and message.backend == "tencent" and "654321" not in message.text
    assert fake.sent[0].TemplateParamSet == ["您的验证码是654321"]


def test_delivery_reports_update_the_outbox(db, gateway_env):
    message = OutboundMessage.objects.create(
        to="13812345678",
        to_hash="h",
        text="x",
        purpose="reminder",
        backend="aliyun",
        status="sent",
        provider_id="900619746936498440^0",
    )
    reports = AliyunSmsBackend(client=FakeAliyun()).delivery_reports([message])
    assert reports == [DeliveryReport("900619746936498440^0", True)]
    assert sms_delivery_apply(reports) == 1
    message.refresh_from_db()
    assert message.status == "delivered"
    reports = TencentSmsBackend(client=FakeTencent()).delivery_reports([])
    assert reports == [DeliveryReport("2433:1234", False, "空号")]


def test_delivery_refresh_polls_the_configured_gateway(db, settings, gateway_env, monkeypatch):
    fake = FakeAliyun()
    monkeypatch.setattr(AliyunSmsBackend, "_client", staticmethod(lambda: fake))
    settings.JIEFEN_SMS_BACKEND = "jiefen.outreach.providers.AliyunSmsBackend"
    backends._backend = None
    try:
        OutboundMessage.objects.create(
            to="13812345678",
            to_hash="h",
            text="x",
            purpose="reminder",
            backend="aliyun",
            status="sent",
            provider_id="b1",
        )
        assert sms_delivery_refresh() == 1
    finally:
        backends._backend = None
    assert fake.queries[0].biz_id == "b1" and fake.queries[0].phone_number == "13812345678"
    assert OutboundMessage.objects.get().status == "delivered"


def test_templates_mask_the_name_and_refuse_what_a_third_party_must_not_read(db):
    assert render("{name}您好，欠款{amount}", {"name": "张*明", "amount": "¥1.00"}) == "张*明您好，欠款¥1.00"
    with pytest.raises(ApplicationError, match="未知的变量"):
        template_check(body="{nmae}您好", audience="debtor")
    with pytest.raises(ApplicationError, match="金额或期限"):
        template_check(body="请转告{name}，金额{amount}", audience="third_party")
    with pytest.raises(ApplicationError, match="欠款"):
        template_check(body="请转告{name}尽快处理欠款", audience="third_party")
    template_check(body="请转告{name}致电{hotline}", audience="third_party")


def test_only_the_centre_maintains_templates(world):
    from jiefen.common.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        sms_template_save(actor=world.a_manager, code="x", name="x", body="{name}")
    template = sms_template_save(
        actor=world.center_admin, code="x", name="提醒", body="{name}您好", aliyun_template_code="SMS_1"
    )
    assert template.aliyun_template_code == "SMS_1"


def test_a_templated_send_passes_the_provider_template(db, settings, gateway_env, monkeypatch):
    fake = FakeAliyun()
    monkeypatch.setattr(AliyunSmsBackend, "_client", staticmethod(lambda: fake))
    settings.JIEFEN_SMS_BACKEND = "jiefen.outreach.providers.AliyunSmsBackend"
    backends._backend = None
    from jiefen.outreach import compliance
    from tests.disposal.conftest import local

    template = SmsTemplate.objects.create(
        code="r", name="r", body="{name}您好，请于{deadline}前联系{hotline}", aliyun_template_code="SMS_9"
    )
    try:
        with compliance.use_clock(local(10)):
            message = sms_send_templated(
                to="13812345678",
                template=template,
                context={"name": "张*明", "deadline": "2026年12月1日", "hotline": "0595-12345"},
            )
    finally:
        backends._backend = None
    assert message.status == "sent"
    assert json.loads(fake.sent[0].template_param) == {
        "name": "张*明",
        "deadline": "2026年12月1日",
        "hotline": "0595-12345",
    }


def test_a_reply_td_opts_the_number_out(world):
    assert sms_inbound(number="13812345678", text=" td ") is True
    assert SmsOptOut.objects.get().source == "reply"
    assert sms_inbound(number="13812345678", text="好的") is False


def test_the_receipt_callbacks_need_the_shared_token(client, db, monkeypatch):
    monkeypatch.setenv("JIEFEN_SMS_CALLBACK_TOKEN", "s3cret-token")
    OutboundMessage.objects.create(
        to="13812345678",
        to_hash="h",
        text="x",
        purpose="reminder",
        backend="tencent",
        status="sent",
        provider_id="p1",
    )
    denied = client.post(
        "/api/v1/disposal/sms/receipts/wrong",
        [{"provider_id": "p1", "delivered": True}],
        content_type="application/json",
    )
    assert denied.status_code == 403
    ok = client.post(
        "/api/v1/disposal/sms/receipts/s3cret-token",
        [{"provider_id": "p1", "delivered": True}],
        content_type="application/json",
    )
    assert ok.json() == {"updated": 1}
    assert OutboundMessage.objects.get().status == "delivered"
    reply = client.post(
        "/api/v1/disposal/sms/inbound/s3cret-token",
        [{"phone": "13812345678", "text": "退订"}],
        content_type="application/json",
    )
    assert reply.json() == {"opted_out": 1}
