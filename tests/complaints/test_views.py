"""Pages and API: tenancy (404), QR codes and the poster, the public form and the complainant's page."""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jiefen.complaints.models import Complaint, Status
from jiefen.complaints.services import channel_for_branch, complaint_reply, public_link
from jiefen.outreach.models import OutboundMessage

from .conftest import PHONE

pytestmark = pytest.mark.django_db


def verified(client, phone=PHONE):
    session = client.session
    session["public_phone"] = phone
    session["public_phone_at"] = timezone.now().isoformat()
    session.save()
    return client


def login(client, user):
    client.force_login(user)
    return client


class TestStaffPages:
    def test_the_executive_sees_the_work_order_with_the_phone_to_call(self, client, desk):
        complaint = desk.file()
        login(client, desk.exec)
        listing = client.get("/complaints/")
        assert listing.status_code == 200 and complaint.number in listing.content.decode()
        page = client.get(f"/complaints/{complaint.pk}/").content.decode()
        assert f"tel:{PHONE}" in page and "答复投诉人" in page

    def test_oversight_sees_a_masked_phone_and_no_actions(self, client, desk):
        complaint = desk.file()
        page = login(client, desk.world.viewer).get(f"/complaints/{complaint.pk}/").content.decode()
        assert PHONE not in page and "138****8000" in page and "答复投诉人" not in page

    def test_another_bank_gets_404_everywhere(self, client, desk, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        png = SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n1234", content_type="image/png")
        complaint = desk.file(attachments=[png])
        login(client, desk.b_manager)
        assert client.get(f"/complaints/{complaint.pk}/").status_code == 404
        assert client.get(f"/complaints/attachments/{complaint.attachments.get().pk}/").status_code == 404
        assert client.post(f"/complaints/{complaint.pk}/reply/", {"text": "越权答复内容"}).status_code == 404
        assert client.get(f"/complaints/qr/branch/{desk.branch.pk}/png/").status_code == 404
        assert complaint.number not in client.get("/complaints/").content.decode()
        api = client.get("/api/v1/complaints")
        assert api.status_code == 200 and api.json()["items"] == []
        assert client.get(f"/api/v1/complaints/{complaint.pk}").status_code == 404

    def test_the_attachment_is_served_only_through_the_checked_view(self, client, desk, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        png = SimpleUploadedFile("凭证.png", b"\x89PNG\r\n\x1a\nDATA", content_type="image/png")
        complaint = desk.file(attachments=[png])
        response = login(client, desk.handler).get(
            f"/complaints/attachments/{complaint.attachments.get().pk}/"
        )
        assert response.status_code == 200 and b"".join(response.streaming_content).endswith(b"DATA")
        assert response["Content-Type"] == "image/png"

    def test_reply_through_the_page(self, client, desk, django_capture_on_commit_callbacks):
        complaint = desk.file()
        login(client, desk.exec)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                f"/complaints/{complaint.pk}/reply/",
                {"text": "已为您办理完毕。", "version": complaint.version},
            )
        complaint.refresh_from_db()
        assert complaint.status == Status.REPLIED
        sms = OutboundMessage.objects.filter(subject=f"complaint:{complaint.pk}").first()
        assert "/complaints/p/s/" in sms.text

    def test_the_branch_filter_lists_only_the_viewers_branches(self, client, desk):
        page = login(client, desk.head).get("/complaints/").content.decode()
        assert desk.branch.name in page and desk.branch2.name in page and desk.world.branch_b.name not in page

    def test_an_extension_is_requested_and_approved_through_the_pages(self, client, desk):
        complaint = desk.file(when=timezone.now())
        login(client, desk.exec).post(
            f"/complaints/{complaint.pk}/extension/", {"to_days": "30", "reason": "需调取监控录像核实"}
        )
        pending = complaint.extensions.get()
        page = client.get(f"/complaints/{complaint.pk}/").content.decode()
        assert "待审批" in page and "批准延期" not in page  # not for the one who asked
        login(client, desk.head).post(
            f"/complaints/extensions/{pending.pk}/decide/", {"approve": "1", "note": "同意"}
        )
        complaint.refresh_from_db()
        assert complaint.period_days == 30

    def test_the_centre_converts_through_the_page_and_lands_on_the_case(self, client, desk):
        complaint = desk.file()
        response = login(client, desk.world.center_staff).post(
            f"/complaints/{complaint.pk}/convert/", {"reason": "双方分歧较大，转调解"}
        )
        complaint.refresh_from_db()
        assert complaint.status == Status.CONVERTED
        assert response["Location"] == f"/cases/{complaint.case_id}/"

    def test_statistics_page_and_export(self, client, desk):
        desk.file()
        login(client, desk.head)
        assert "受理" in client.get("/complaints/stats/?group=category").content.decode()
        export = client.get("/complaints/stats/?group=branch&format=xlsx")
        assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxml")


class TestQrCodes:
    def test_png_and_svg_encode_the_branch_form_and_no_id(self, client, desk):
        login(client, desk.exec)
        png = client.get(f"/complaints/qr/branch/{desk.branch.pk}/png/")
        assert png.status_code == 200 and b"".join(png.streaming_content).startswith(b"\x89PNG")
        svg = b"".join(client.get(f"/complaints/qr/branch/{desk.branch.pk}/svg/").streaming_content)
        assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg
        token = channel_for_branch(desk.branch).token
        assert len(token) >= 16 and not token.isdigit()

    def test_a_branch_executive_prints_only_their_own_branch(self, client, desk):
        login(client, desk.exec)
        assert client.get(f"/complaints/qr/branch/{desk.branch2.pk}/png/").status_code == 404
        page = client.get("/complaints/qr/").content.decode()
        assert desk.branch.name in page and desk.branch2.name not in page

    def test_the_poster_is_a_pdf_with_the_branch_name(self, client, desk, pdf_required):
        from pypdf import PdfReader

        login(client, desk.exec)
        response = client.get(f"/complaints/qr/branch/{desk.branch.pk}/pdf/")
        content = b"".join(response.streaming_content)
        assert response["Content-Type"] == "application/pdf" and content.startswith(b"%PDF")
        reader = PdfReader(io.BytesIO(content))
        assert len(reader.pages) == 1
        text = reader.pages[0].extract_text()
        assert "甲银行丰泽支行" in text and "行长直通车" in text
        assert reader.pages[0]["/Resources"]["/XObject"]  # the QR image

    def test_rotating_a_code_retires_the_old_one(self, client, desk):
        old = channel_for_branch(desk.branch).token
        login(client, desk.head).post(f"/complaints/qr/branch/{desk.branch.pk}/rotate/")
        new = channel_for_branch(desk.branch).token
        assert new != old
        verified(client)
        assert client.get(f"/complaints/p/{old}/").status_code == 404
        assert client.get(f"/complaints/p/{new}/").status_code == 200


class TestPublicPages:
    def test_the_form_asks_for_the_phone_first(self, client, desk):
        token = channel_for_branch(desk.branch).token
        response = client.get(f"/complaints/p/{token}/")
        assert response.status_code == 302 and response["Location"].startswith("/p/verify/")

    def test_filing_through_the_form_lands_on_the_complaint_page(self, client, desk, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path
        token = channel_for_branch(desk.branch).token
        verified(client)
        page = client.get(f"/complaints/p/{token}/").content.decode()
        assert "甲银行丰泽支行" in page
        response = client.post(
            f"/complaints/p/{token}/",
            {
                "category": "business",
                "description": "办理对公账户变更被拒，未告知需要哪些资料。",
                "request": "一次性告知所需资料",
                "consent_personal": "1",
                "attachments": [
                    SimpleUploadedFile("a.pdf", b"%PDF-1.4 test", content_type="application/pdf")
                ],
            },
        )
        complaint = Complaint.objects.get()
        assert response.status_code == 302 and response["Location"].startswith(
            f"/complaints/p/c/{complaint.number}/"
        )
        assert complaint.attachments.count() == 1
        mine = client.get(response["Location"]).content.decode()
        assert complaint.number in mine and "待处理" in mine

    def test_a_refused_form_keeps_what_was_typed(self, client, desk):
        token = channel_for_branch(desk.branch).token
        verified(client)
        response = client.post(
            f"/complaints/p/{token}/",
            {"category": "business", "description": "柜员拒绝办理业务而且态度很差", "request": "道歉"},
        )
        assert response.status_code == 400
        page = response.content.decode()
        assert "个人信息处理告知书" in page and "柜员拒绝办理业务而且态度很差" in page
        assert not Complaint.objects.exists()

    def test_someone_else_cannot_open_the_complaint_page(self, client, desk):
        complaint = desk.file()
        verified(client, "13900000000")
        assert client.get(f"/complaints/p/c/{complaint.number}/").status_code == 404

    def test_the_signed_link_opens_the_page_and_the_complainant_rates(self, client, desk):
        complaint = desk.file()
        complaint_reply(actor=desk.exec, complaint_id=complaint.pk, text="已为您办理完毕。")
        link = public_link(complaint)
        response = client.get(link)
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
        assert "问题解决了吗" in page and "已为您办理完毕" in page
        client.post(response["Location"], {"action": "confirm", "resolved": "1", "rating": "4"})
        complaint.refresh_from_db()
        assert (complaint.status, complaint.rating) == (Status.CLOSED, 4)

    def test_a_tampered_link_is_refused(self, client, desk):
        complaint = desk.file()
        link = public_link(complaint)
        assert client.get(link[:-3] + "abc/").status_code == 403

    def test_the_staff_only_scam_flag_never_reaches_the_complainant(self, client, desk):
        complaint = desk.file(text="专业代理维权，帮客户停息挂账减免罚息，成功后收取服务费，不成功不收费。")
        assert complaint.scam_flagged
        page = verified(client).get(f"/complaints/p/c/{complaint.number}/").content.decode()
        assert "代理维权" not in page.split("</header>")[1].split("<footer")[0].replace("收费“代理维权”", "")


class TestApi:
    def test_the_list_has_the_clock_fields(self, client, desk):
        complaint = desk.file()
        data = login(client, desk.exec).get("/api/v1/complaints").json()
        item = data["items"][0]
        assert item["id"] == complaint.pk and item["status"] == "received"
        assert item["branch"] == "A-01" and item["due_at"] == "2026-03-17" and item["extended_days"] == 0
        assert item["received_at"].startswith("2026-03-02")

    def test_the_public_submission_needs_a_proven_phone(self, client, desk):
        token = channel_for_branch(desk.branch).token
        fields = {
            "channel": token,
            "category": "card",
            "description": "信用卡年费被重复扣收两次。",
            "request": "退还多收年费",
            "consent_personal": "true",
        }
        refused = client.post("/api/v1/complaints/public", fields)
        assert refused.status_code == 403 and refused.json()["code"] == "phone_required"
        assert (
            client.post(
                "/api/v1/complaints/public/otp", {"phone": PHONE}, content_type="application/json"
            ).status_code
            == 202
        )
        sms = OutboundMessage.objects.filter(purpose="otp").latest("id")
        code = re.search(r"验证码(\d{6})", sms.text).group(1)
        wrong = client.post(
            "/api/v1/complaints/public",
            {**fields, "phone": PHONE, "code": "000000" if code != "000000" else "111111"},
        )
        assert wrong.status_code == 400
        ok = client.post("/api/v1/complaints/public", {**fields, "phone": PHONE, "code": code})
        assert ok.status_code == 201, ok.content
        body = ok.json()
        assert body["number"].startswith("TS") and "/complaints/p/s/" in body["link"]
        assert Complaint.objects.get().branch == desk.branch

    def test_the_public_submission_with_a_session_needs_the_csrf_token(self, desk):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        verified(client)
        token = channel_for_branch(desk.branch).token
        fields = {
            "channel": token,
            "category": "card",
            "description": "信用卡年费被重复扣收两次。",
            "request": "退还多收年费",
            "consent_personal": "true",
        }
        refused = client.post("/api/v1/complaints/public", fields)
        assert refused.status_code == 403 and refused.json()["code"] == "csrf"
