from ninja import Router

router = Router(tags=["places 服务点位"])
