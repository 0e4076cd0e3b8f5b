from ninja import Router

router = Router(tags=["诉讼与执行"])
