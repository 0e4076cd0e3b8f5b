from ninja import Router

router = Router(tags=["存证"])
