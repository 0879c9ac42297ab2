

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('casedata', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='DataLock',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('holder', models.CharField(blank=True, default='', max_length=255)),
                ('since', models.DateTimeField(blank=True, null=True)),
            ],
        ),
        migrations.CreateModel(
            name='DataSnapshot',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('sha256', models.CharField(max_length=64, unique=True)),
                ('as_at', models.DateField(blank=True, null=True)),
                ('la_code', models.CharField(blank=True, default='', max_length=16)),
                ('format', models.CharField(blank=True, default='', max_length=32)),
                ('files', models.JSONField(blank=True, default=list)),
                ('rows', models.JSONField(blank=True, default=dict)),
                ('present', models.JSONField(blank=True, null=True)),
                ('facts', models.JSONField(blank=True, default=dict)),
                ('plan_sha256', models.CharField(blank=True, default='', max_length=64)),
                ('coverage', models.JSONField(blank=True, default=dict)),
                ('not_computed', models.JSONField(blank=True, default=dict)),
                ('figures', models.PositiveIntegerField(default=0)),
                ('acknowledged', models.JSONField(blank=True, default=list)),
                ('accepted_by_name', models.CharField(blank=True, default='', max_length=150)),
                ('accepted_at', models.DateTimeField(auto_now_add=True)),
                ('active', models.BooleanField(default=False)),
                ('legacy', models.BooleanField(default=False)),
                ('accepted_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('based_on', models.ForeignKey(blank=True, help_text='The snapshot active when this one was accepted.', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='casedata.datasnapshot')),
            ],
            options={
                'ordering': ['-accepted_at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='SnapshotActivation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('accepted', 'Accepted a new extract'), ('activated', 'Made an earlier snapshot active again'), ('upgraded', 'Recorded the figures kept before snapshots were')], max_length=16)),
                ('reason', models.TextField(blank=True, default='')),
                ('by_name', models.CharField(blank=True, default='', max_length=150)),
                ('at', models.DateTimeField(auto_now_add=True, db_index=True)),
                ('by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('previous', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='casedata.datasnapshot')),
                ('snapshot', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='activations', to='casedata.datasnapshot')),
            ],
            options={
                'ordering': ['-at', '-id'],
            },
        ),
        migrations.CreateModel(
            name='SnapshotFigure',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('measure_id', models.CharField(max_length=64)),
                ('period', models.CharField(max_length=7)),
                ('period_type', models.CharField(default='month', max_length=16)),
                ('breakdown', models.CharField(blank=True, default='', max_length=64)),
                ('breakdown_value', models.CharField(blank=True, default='', max_length=128)),
                ('value', models.FloatField(blank=True, null=True)),
                ('numerator', models.FloatField(blank=True, null=True)),
                ('denominator', models.FloatField(blank=True, null=True)),
                ('flagged', models.PositiveIntegerField(default=0)),
                ('as_at', models.DateField(blank=True, null=True)),
                ('snapshot', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='casedata.datasnapshot')),
            ],
        ),
        migrations.AddConstraint(
            model_name='datasnapshot',
            constraint=models.UniqueConstraint(condition=models.Q(('active', True)), fields=('active',), name='casedata_one_active_snapshot'),
        ),
        migrations.AddIndex(
            model_name='snapshotfigure',
            index=models.Index(fields=['snapshot', 'period'], name='casedata_figure_period_idx'),
        ),
        migrations.AddConstraint(
            model_name='snapshotfigure',
            constraint=models.UniqueConstraint(fields=('snapshot', 'measure_id', 'period', 'period_type', 'breakdown', 'breakdown_value'), name='casedata_one_figure_per_snapshot_key'),
        ),
    ]
