from django.urls import path

from linli.assistant.views import map_pieces, resident, staff

app_name = "assistant"

urlpatterns = [
    path("s/<slug:code>/ask/", resident.ask_page, name="ask"),
    path("s/<slug:code>/ask/map-panel/", map_pieces.map_panel, name="map_panel"),
    path("assistant/answers/<uuid:answer_id>/feedback/", resident.feedback_post, name="feedback"),
    path("staff/assistant/", staff.review_queue, name="review_queue"),
    path("staff/assistant/questions/<int:question_id>/", staff.review_question, name="review_question"),
    path("staff/assistant/curated/<int:curated_id>/deactivate/", staff.curated_deactivate, name="curated_deactivate"),
    path("staff/assistant/synonyms/<int:synonym_id>/delete/", staff.synonym_delete, name="synonym_delete"),
]
