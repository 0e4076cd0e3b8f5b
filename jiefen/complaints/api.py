from ninja import Router

router = Router(tags=["行长直通车"])
