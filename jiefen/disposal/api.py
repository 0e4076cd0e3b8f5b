from ninja import Router

router = Router(tags=["集中处置"])
