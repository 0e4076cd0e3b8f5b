from ninja import Router

router = Router(tags=["信用救助"])
