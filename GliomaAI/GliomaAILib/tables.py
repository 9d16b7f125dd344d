"""Figures as table nodes: one row per item, one column per figure, titled and with units."""

import vtk


def figures_table(scene, name: str, header: str, rows: dict, columns) -> object:
    """A locked vtkMRMLTableNode: first column `header` with the keys of `rows`, then one column per
    (key, title, unit) in `columns`, numbers or text as the first row's values are."""
    table = scene.AddNewNodeByClass("vtkMRMLTableNode", name)
    labels = vtk.vtkStringArray()
    labels.SetName(header)
    arrays = []
    first = next(iter(rows.values()), {})
    for key, _, _ in columns:
        array = vtk.vtkStringArray() if isinstance(first.get(key), str) else vtk.vtkDoubleArray()
        array.SetName(key)
        arrays.append(array)
    for label, values in rows.items():
        labels.InsertNextValue(str(label))
        for (key, _, _), array in zip(columns, arrays):
            value = values.get(key)
            if isinstance(array, vtk.vtkStringArray):
                array.InsertNextValue("" if value is None else str(value))
            else:
                array.InsertNextValue(float("nan") if value is None else float(value))
    table.AddColumn(labels)
    for (key, title, unit), array in zip(columns, arrays):
        table.AddColumn(array)
        table.SetColumnTitle(key, title)
        if unit:
            table.SetColumnUnitLabel(key, unit)
    table.SetUseColumnTitleAsColumnHeader(True)
    table.SetLocked(True)  # figures computed by GliomaAI: not for typing over
    return table


def table_rows(table) -> dict:
    """{first column value: [other columns' values as text]} of a table node (for checks and reports)."""
    vtk_table = table.GetTable()
    rows = {}
    for row in range(vtk_table.GetNumberOfRows()):
        values = [vtk_table.GetValue(row, column).ToString() for column in range(vtk_table.GetNumberOfColumns())]
        rows[values[0]] = values[1:]
    return rows
