"""Adapters for Aliyun SMS (dysmsapi 2017-05-25) and Tencent Cloud SMS (2021-01-11), on their official SDKs.

Configured by environment (nothing secret in settings files):

| variable | Aliyun | Tencent |
|---|---|---|
| credentials | ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET | TENCENTCLOUD_SECRET_ID, TENCENTCLOUD_SECRET_KEY |
| signature | JIEFEN_SMS_SIGN | JIEFEN_SMS_SIGN |
| application | — | JIEFEN_TENCENT_SMS_APP_ID |
| text template (one variable `content`) | JIEFEN_SMS_TEXT_TEMPLATE | JIEFEN_SMS_TEXT_TEMPLATE |
| endpoint / region | JIEFEN_ALIYUN_SMS_ENDPOINT (dysmsapi.aliyuncs.com) | JIEFEN_TENCENT_SMS_REGION (ap-guangzhou) |

Tests replace `client` with a fake object: the boundary is the SDK's request and response models.
"""

from __future__ import annotations

import datetime as dt
import json
import os

from django.core.exceptions import ImproperlyConfigured

from .backends import DeliveryReport, SendResult, SmsBackend, TemplateRef


def _env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if not value:
        raise ImproperlyConfigured(f"{name} is required for the SMS gateway")
    return value


def _strip_signature(text: str) -> str:
    # The gateway adds the approved signature itself; the stored copy keeps 【…】 for the outbox.
    if text.startswith("【") and "】" in text:
        return text.split("】", 1)[1]
    return text


class AliyunSmsBackend(SmsBackend):
    name = "aliyun"

    def __init__(self, client=None):
        self.sign = _env("JIEFEN_SMS_SIGN")
        self.text_template = os.environ.get("JIEFEN_SMS_TEXT_TEMPLATE", "")
        self.client = client if client is not None else self._client()

    @staticmethod
    def _client():
        from alibabacloud_dysmsapi20170525.client import Client
        from alibabacloud_tea_openapi.models import Config

        config = Config(
            access_key_id=_env("ALIBABA_CLOUD_ACCESS_KEY_ID"),
            access_key_secret=_env("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
            endpoint=os.environ.get("JIEFEN_ALIYUN_SMS_ENDPOINT", "dysmsapi.aliyuncs.com"),
        )
        return Client(config)

    def send(self, to: str, text: str, *, template: TemplateRef | None = None) -> SendResult:
        from alibabacloud_dysmsapi20170525.models import SendSmsRequest

        if template is not None and template.aliyun_code:
            code, params = template.aliyun_code, template.params
        elif self.text_template:
            code, params = self.text_template, {"content": _strip_signature(text)}
        else:
            return SendResult(ok=False, error="未配置阿里云短信模板（模板代码或 JIEFEN_SMS_TEXT_TEMPLATE）")
        request = SendSmsRequest(
            phone_numbers=to,
            sign_name=self.sign,
            template_code=code,
            template_param=json.dumps(params, ensure_ascii=False),
        )
        try:
            response = self.client.send_sms(request)
        except Exception as exc:  # noqa: BLE001 — the SDK raises its own errors for network and auth faults
            return SendResult(ok=False, error=f"阿里云短信接口异常：{exc}"[:200])
        body = response.body
        if body.code != "OK":
            return SendResult(ok=False, error=f"{body.code} {body.message}"[:200])
        return SendResult(ok=True, provider_id=body.biz_id or "")

    def delivery_reports(self, messages) -> list[DeliveryReport]:
        from alibabacloud_dysmsapi20170525.models import QuerySendDetailsRequest

        reports = []
        for message in messages:
            sent = message.sent_at or message.created_at
            request = QuerySendDetailsRequest(
                phone_number=message.to,
                biz_id=message.provider_id,
                send_date=sent.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y%m%d"),
                page_size=10,
                current_page=1,
            )
            try:
                body = self.client.query_send_details(request).body
            except Exception:  # noqa: BLE001, S112 — try again at the next poll
                continue
            details = (
                body.sms_send_detail_dtos.sms_send_detail_dto if body.sms_send_detail_dtos else []
            ) or []
            for detail in details:
                # SendStatus: 1 waiting for the receipt, 2 failed, 3 delivered.
                if detail.send_status == 3:
                    reports.append(DeliveryReport(message.provider_id, True))
                elif detail.send_status == 2:
                    reports.append(DeliveryReport(message.provider_id, False, detail.err_code or "失败"))
        return reports


class TencentSmsBackend(SmsBackend):
    name = "tencent"

    def __init__(self, client=None):
        self.sign = _env("JIEFEN_SMS_SIGN")
        self.app_id = _env("JIEFEN_TENCENT_SMS_APP_ID")
        self.text_template = os.environ.get("JIEFEN_SMS_TEXT_TEMPLATE", "")
        self.client = client if client is not None else self._client()

    @staticmethod
    def _client():
        from tencentcloud.common import credential
        from tencentcloud.sms.v20210111 import sms_client

        cred = credential.Credential(_env("TENCENTCLOUD_SECRET_ID"), _env("TENCENTCLOUD_SECRET_KEY"))
        return sms_client.SmsClient(cred, os.environ.get("JIEFEN_TENCENT_SMS_REGION", "ap-guangzhou"))

    def send(self, to: str, text: str, *, template: TemplateRef | None = None) -> SendResult:
        from tencentcloud.sms.v20210111 import models

        if template is not None and template.tencent_id:
            template_id, values = template.tencent_id, [str(v) for v in template.params.values()]
        elif self.text_template:
            template_id, values = self.text_template, [_strip_signature(text)]
        else:
            return SendResult(ok=False, error="未配置腾讯云短信模板（模板ID或 JIEFEN_SMS_TEXT_TEMPLATE）")
        request = models.SendSmsRequest()
        request.SmsSdkAppId = self.app_id
        request.SignName = self.sign
        request.TemplateId = template_id
        request.TemplateParamSet = values
        request.PhoneNumberSet = ["+86" + to]
        try:
            response = self.client.SendSms(request)
        except Exception as exc:  # noqa: BLE001 — TencentCloudSDKException and network errors
            return SendResult(ok=False, error=f"腾讯云短信接口异常：{exc}"[:200])
        status = (response.SendStatusSet or [None])[0]
        if status is None:
            return SendResult(ok=False, error="腾讯云短信接口未返回发送状态")
        if status.Code != "Ok":
            return SendResult(ok=False, error=f"{status.Code} {status.Message}"[:200])
        return SendResult(ok=True, provider_id=status.SerialNo or "")

    def delivery_reports(self, messages) -> list[DeliveryReport]:
        from tencentcloud.sms.v20210111 import models

        request = models.PullSmsSendStatusRequest()
        request.SmsSdkAppId = self.app_id
        request.Limit = 100
        try:
            response = self.client.PullSmsSendStatus(request)
        except Exception:  # noqa: BLE001 — try again at the next poll
            return []
        return [
            DeliveryReport(
                item.SerialNo,
                item.ReportStatus == "SUCCESS",
                "" if item.ReportStatus == "SUCCESS" else (item.Description or "失败"),
            )
            for item in (response.PullSmsSendStatusSet or [])
        ]
