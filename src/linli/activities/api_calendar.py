from ninja import Router

router = Router(tags=["activities 活动"])
