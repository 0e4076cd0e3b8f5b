"""Education and registry pages: who sees what, the public library, the report form, the quiz pages."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from jiefen.education.content import seed_content
from jiefen.education.models import Attempt, Material, PrizeDraw, ScamEntity
from jiefen.education.services import scam_lead_create

pytestmark = pytest.mark.django_db


def verified(client, phone="13800138000"):
    session = client.session
    session["public_phone"] = phone
    session["public_phone_at"] = timezone.now().isoformat()
    session.save()
    return client


@pytest.fixture
def library(db):
    return seed_content(now=timezone.now())


class TestPublicLibrary:
    def test_the_seeded_library_is_published_with_real_content(self, client, library):
        assert library == {"materials": 10, "cases": 6, "questions": 12}
        page = client.get("/education/p/").content.decode()
        assert "“征信修复”是骗局，依法维权有渠道" in page
        article = client.get("/education/p/m/credit-report-dispute/").content.decode()
        assert "20日内" in article and "<h2>多久答复</h2>" in article
        assert client.get("/education/p/cases/registry-rectify-and-close/").status_code == 200
        assert "76家" in client.get("/education/p/cases/registry-rectify-and-close/").content.decode()

    def test_a_draft_is_not_public(self, client, library):
        Material.objects.filter(slug="credit-report-dispute").update(is_published=False)
        assert client.get("/education/p/m/credit-report-dispute/").status_code == 404

    def test_markup_typed_by_an_editor_is_escaped(self, client, library):
        Material.objects.filter(slug="credit-report-dispute").update(body="<script>alert(1)</script>")
        page = client.get("/education/p/m/credit-report-dispute/").content.decode()
        assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page

    def test_the_printable_pdf(self, client, library, pdf_required):
        response = client.get("/education/p/m/credit-repair-is-a-scam/pdf/")
        assert b"".join(response.streaming_content).startswith(b"%PDF")

    def test_the_portal_shows_the_tiles(self, client):
        page = client.get("/p/").content.decode()
        assert "/complaints/p/" in page and "/education/p/quiz/" in page and "/education/p/report/" in page


class TestReportForm:
    def test_the_public_reports_an_outfit_after_proving_the_phone(self, client, world):
        assert client.get("/education/p/report/").status_code == 302
        verified(client)
        response = client.post(
            "/education/p/report/",
            {
                "name": "某信用工作室",
                "identifiers": "微信 abc123",
                "description": "声称交三千元可以删除逾期记录，要身份证照片。",
            },
        )
        assert response.status_code == 200 and "举报已收到" in response.content.decode()
        entity = ScamEntity.objects.get()
        assert entity.source == "public_report" and entity.reporter_phone == "13800138000"


class TestRegistryPages:
    def test_the_pbc_officer_works_the_registry(self, client, world):
        client.force_login(world.pbc_officer)
        response = client.post(
            "/education/registry/new/", {"name": "泉州某征信修复有限公司", "identifiers": "0595-1234567"}
        )
        entity = ScamEntity.objects.get()
        assert response.status_code == 302
        client.post(
            f"/education/registry/{entity.pk}/transition/",
            {"action": "identify", "note": "核实", "version": 0},
        )
        entity.refresh_from_db()
        assert entity.status == "identified"
        page = client.get(f"/education/registry/{entity.pk}/").content.decode()
        assert "对接告知" in page
        assert client.get("/education/registry/stats/").status_code == 200
        assert client.get("/education/registry/stats/?format=xlsx")["Content-Type"].startswith(
            "application/vnd"
        )

    def test_a_bank_sees_only_its_own_reports_and_no_statistics(self, client, world):
        mine = scam_lead_create(actor=world.a_staff, name="甲行发现的征信公司", source="staff")
        other = scam_lead_create(actor=world.pbc_officer, name="人行登记的征信公司", source="staff")
        client.force_login(world.a_staff)
        listing = client.get("/education/registry/").content.decode()
        assert mine.number in listing and other.number not in listing
        assert client.get(f"/education/registry/{other.pk}/").status_code == 404
        assert client.get("/education/registry/stats/").status_code == 404
        assert client.get("/education/registry/import/").status_code == 404
        page = client.get(f"/education/registry/{mine.pk}/").content.decode()
        assert "确认：核实确认为治理对象" not in page

    def test_bank_b_cannot_see_bank_a_report(self, client, world):
        mine = scam_lead_create(actor=world.a_staff, name="甲行发现的征信公司", source="staff")
        client.force_login(world.b_staff)
        assert client.get(f"/education/registry/{mine.pk}/").status_code == 404
        assert client.get("/api/v1/education/registry").json()["items"] == []

    def test_the_import_page_reports_row_errors(self, client, world):
        client.force_login(world.pbc_officer)
        upload = SimpleUploadedFile(
            "名单.csv",
            "企业名称,统一社会信用代码\n泉州甲征信有限公司,123\n".encode(),
            content_type="text/csv",
        )
        page = client.post("/education/registry/import/", {"file": upload}).content.decode()
        assert "第2行" in page and "统一社会信用代码应为18位" in page

    def test_the_api_lists_and_counts_for_the_regulator(self, client, world):
        scam_lead_create(actor=world.pbc_officer, name="泉州某征信公司", source="staff")
        client.force_login(world.viewer)
        assert len(client.get("/api/v1/education/registry").json()["items"]) == 1
        assert client.get("/api/v1/education/registry/stats").json()["total"]["total"] == 1


class TestQuizPages:
    def test_a_quiz_is_taken_and_scored_through_the_pages(self, client, world, library):
        from jiefen.education.content import question_bank
        from jiefen.education.models import Quiz

        quiz = Quiz.objects.create(
            title="竞答",
            slug="q1",
            bank=question_bank(),
            num_questions=10,
            time_limit_seconds=600,
            starts_at=timezone.now() - timezone.timedelta(days=1),
            ends_at=timezone.now() + timezone.timedelta(days=1),
            state="open",
            prize_count=3,
        )
        verified(client)
        response = client.post("/education/p/quiz/q1/", {"organisation": "泉州师范学院"})
        attempt = Attempt.objects.get()
        assert response["Location"] == f"/education/p/quiz/a/{attempt.token}/"
        page = client.get(response["Location"]).content.decode()
        assert page.count('class="question"') == 10 and "data-seconds-left" in page
        answers = {}
        for pk in attempt.question_ids:
            q = quiz.bank.questions.get(pk=pk)
            answers[f"q_{pk}"] = [c.label for c in q.choices.filter(is_correct=True)]
        client.post(response["Location"], answers)
        attempt.refresh_from_db()
        assert (attempt.state, attempt.score, attempt.eligible) == ("submitted", 10, True)
        result = client.get(response["Location"]).content.decode()
        assert 'id="score">10<' in result and "抽奖资格" in result
        board = client.get("/education/p/quiz/q1/board/").content.decode()
        assert "泉州师范学院" in board
        assert (
            client.get("/api/v1/education/quizzes/q1").json()["leaderboard"][0]["organisation"]
            == "泉州师范学院"
        )

    def test_someone_else_cannot_open_my_paper(self, client, world, library):
        from jiefen.education.content import question_bank
        from jiefen.education.models import Quiz
        from jiefen.education.services import quiz_start

        quiz = Quiz.objects.create(
            title="竞答",
            slug="q1",
            bank=question_bank(),
            starts_at=timezone.now() - timezone.timedelta(days=1),
            ends_at=timezone.now() + timezone.timedelta(days=1),
            state="open",
        )
        attempt = quiz_start(quiz=quiz, phone="13800138000", organisation="泉州师范学院")
        verified(client, "13900139000")
        assert client.get(f"/education/p/quiz/a/{attempt.token}/").status_code == 404

    def test_staff_quiz_page_and_draw(self, client, world, library):
        from jiefen.education.content import question_bank
        from jiefen.education.models import Quiz

        quiz = Quiz.objects.create(
            title="竞答",
            slug="q1",
            bank=question_bank(),
            starts_at=timezone.now() - timezone.timedelta(days=3),
            ends_at=timezone.now() - timezone.timedelta(days=1),
            state="closed",
            prize_count=1,
        )
        client.force_login(world.pbc_officer)
        assert client.get(f"/education/quizzes/{quiz.pk}/").status_code == 200
        page = client.post(f"/education/quizzes/{quiz.pk}/draw/", {"seed": "x"}, follow=True).content.decode()
        assert "没有符合抽奖条件的参赛者" in page
        assert not PrizeDraw.objects.exists()
        client.force_login(world.a_manager)
        assert client.get(f"/education/quizzes/{quiz.pk}/").status_code == 404
        assert client.get("/education/").status_code == 200
