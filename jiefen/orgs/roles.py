"""Roles a membership can carry, and what each may do. One table, read by every access check."""

from django.db import models


class Role(models.TextChoices):
    CENTER_ADMIN = "center_admin", "调处中心管理员"
    CENTER_STAFF = "center_staff", "调处中心工作人员"
    INST_MANAGER = "inst_manager", "机构负责人（行长）"
    DISPOSAL_STAFF = "disposal_staff", "机构处置人员"
    DISPUTE_LIAISON = "dispute_liaison", "异议联络专员"
    COMPLAINT_HANDLER = "complaint_handler", "投诉处理人员"
    MEDIATOR = "mediator", "特邀调解员"
    JUDGE = "judge", "对接法官"
    PBC_OFFICER = "pbc_officer", "人民银行征信人员"
    VIEWER = "viewer", "只读查看（监管、政法委）"


CENTER_ROLES = frozenset({Role.CENTER_ADMIN, Role.CENTER_STAFF})
INSTITUTION_ROLES = frozenset(
    {Role.INST_MANAGER, Role.DISPOSAL_STAFF, Role.DISPUTE_LIAISON, Role.COMPLAINT_HANDLER}
)
# Roles that read everything in their field but change nothing in cases.
OVERSIGHT_ROLES = frozenset({Role.PBC_OFFICER, Role.VIEWER})
