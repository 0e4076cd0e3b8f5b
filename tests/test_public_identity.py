import datetime as dt
import re

import pytest
from django.utils import timezone

from jiefen.common.errors import ApplicationError
from jiefen.outreach.models import OutboundMessage
from jiefen.public.models import PhoneChallenge
from jiefen.public.services import otp_request, otp_verify, read_signed_token, signed_token

PHONE = "13800138000"


def last_code(phone=PHONE):
    text = OutboundMessage.objects.filter(purpose="otp").order_by("-id").first().text
    return re.search(r"验证码(\d{6})", text).group(1)


@pytest.mark.django_db
class TestOneTimeCodes:
    def test_a_code_is_sent_by_sms_and_works_once(self):
        otp_request(phone=PHONE)
        message = OutboundMessage.objects.get()
        assert message.to == PHONE and message.status == "delivered" and "请勿告诉他人" in message.text
        code = last_code()
        assert otp_verify(phone="+86 138 0013 8000", code=code) == PHONE
        with pytest.raises(ApplicationError, match="过期"):
            otp_verify(phone=PHONE, code=code)

    def test_the_database_holds_neither_the_code_nor_the_phone(self):
        otp_request(phone=PHONE)
        challenge = PhoneChallenge.objects.get()
        assert last_code() not in challenge.code_hash and PHONE not in challenge.phone_hash

    def test_five_wrong_guesses_lock_the_code(self):
        otp_request(phone=PHONE)
        code = last_code()
        wrong = f"{(int(code) + 1) % 10**6:06d}"
        for _ in range(5):
            with pytest.raises(ApplicationError, match="不正确"):
                otp_verify(phone=PHONE, code=wrong)
        with pytest.raises(ApplicationError, match="错误次数过多"):
            otp_verify(phone=PHONE, code=code)

    def test_an_expired_code_is_refused(self):
        otp_request(phone=PHONE)
        PhoneChallenge.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
        with pytest.raises(ApplicationError, match="过期"):
            otp_verify(phone=PHONE, code=last_code())

    def test_codes_cannot_be_requested_back_to_back(self):
        otp_request(phone=PHONE)
        with pytest.raises(ApplicationError, match="60秒"):
            otp_request(phone=PHONE)

    def test_a_bad_phone_is_explained(self):
        with pytest.raises(ApplicationError, match="11位"):
            otp_request(phone="12345")

    def test_a_real_gateway_never_stores_the_code(self, settings):
        from jiefen.outreach import backends

        class FakeProvider(backends.SmsBackend):
            name = "provider"

            def send(self, to, text):
                return backends.SendResult(ok=True, provider_id="p-1")

        backends._backend = FakeProvider()
        settings.JIEFEN_SMS_BACKEND = f"{FakeProvider.__module__}.{FakeProvider.__qualname__}"
        try:
            otp_request(phone=PHONE)
            stored = OutboundMessage.objects.get()
            assert "******" in stored.text and stored.status == "sent"
        finally:
            backends._backend = None


def test_signed_links_expire_and_cannot_be_forged():
    token = signed_token("room", {"case": 7})
    assert read_signed_token("room", token, max_age=dt.timedelta(minutes=5)) == {"case": 7}
    with pytest.raises(ApplicationError, match="无效"):
        read_signed_token("room", token[:-2] + "xx", max_age=dt.timedelta(minutes=5))
    with pytest.raises(ApplicationError, match="无效"):
        read_signed_token("service", token, max_age=dt.timedelta(minutes=5))


@pytest.mark.django_db
def test_the_verify_page_logs_a_phone_in(client):
    response = client.post("/p/verify/", {"phone": PHONE, "next": "/p/"})
    assert "验证码" in response.content.decode()
    done = client.post("/p/verify/", {"phone": PHONE, "code": last_code(), "next": "/p/"})
    assert done.status_code == 302 and done["Location"] == "/p/"
    assert client.session["public_phone"] == PHONE
    evil = client.post("/p/verify/", {"phone": PHONE, "next": "https://evil.example/"})
    assert "evil" not in evil.content.decode()
