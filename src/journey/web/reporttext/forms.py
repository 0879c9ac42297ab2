from django import forms


class TextForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 12, "class": "govuk-textarea"}), required=True,
                           error_messages={"required": "Enter the text"})
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class ApproveForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)
