from ninja import Router

router = Router(tags=["宣传教育与黑灰产治理"])
